import { checkEnv } from './check-arguments.js';
import { shellQuote as q } from './shell-quote.js';

/**
 * The shell text the adapter sends. Everything the caller gives is quoted; nothing relies on
 * sshd accepting `env` requests or on a particular login shell beyond a POSIX `sh` with bash and
 * coreutils on the machine (true of every Linux image the marketplace offers).
 */

/** Extra time the server-side `timeout` gives over the client's own deadline. */
const serverTimeoutMarginMs = 2_000;

export function execCommand(
  command: string,
  options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number; stdin?: unknown },
): string {
  checkEnv(options.env);
  const parts: string[] = [];
  if (options.cwd !== undefined) parts.push(`cd -- ${q(options.cwd)} || exit 1;`);
  for (const [name, value] of Object.entries(options.env ?? {})) {
    parts.push(`export ${name}=${q(value)};`);
  }
  // The client kills the command at its deadline with a signal request; sshd versions that
  // ignore those still stop it through coreutils `timeout`, which kills its whole process group.
  const timeout =
    options.timeoutMs === undefined
      ? ''
      : `timeout --kill-after=2 ${Math.ceil((options.timeoutMs + serverTimeoutMarginMs) / 1000)} `;
  const input = options.stdin === undefined ? ' </dev/null' : '';
  parts.push(`exec ${timeout}bash -c ${q(command)}${input}`);
  return parts.join(' ');
}

/**
 * sha256 of standard input as bare hex. coreutils' sha256sum is on every image; OpenSSL's, on
 * nearly every one, is about three times faster (it uses the CPU's SHA instructions), which
 * shows on big packages.
 */
const sha256OfStdin =
  "{ { if command -v openssl >/dev/null 2>&1; then openssl dgst -sha256 -r; else sha256sum; fi; } | cut -d' ' -f1; }";

/**
 * What the receiving side says first, on its own line, before reading anything: `absent`,
 * `differs` (another size), or `same-size <octal mode>` followed by a line with its sha256.
 */
export type ReceiverState = { kind: 'absent' | 'differs' } | { kind: 'same-size'; mode: number };

export function parseReceiverState(line: string): ReceiverState {
  const [kind, mode] = line.trim().split(' ');
  if (kind === 'absent' || kind === 'differs') return { kind };
  if (kind === 'same-size' && mode && /^[0-7]+$/.test(mode)) {
    return { kind, mode: Number.parseInt(mode, 8) };
  }
  throw new Error(`unexpected answer from the receiving side: ${line.slice(0, 100)}`);
}

/** The line the client sends after the content: proof the stream stayed in step. */
export const endOfUpload = 'end-of-upload';

/**
 * One exec for a whole upload, so a transfer costs one round trip beyond the bytes:
 *   1. the server reports the target's state, and its sha256 only when the size matches (the
 *      client hashes its own copy meanwhile);
 *   2. it reads the client's decision line: `keep`, `chmod` (same content) or `send`;
 *   3. on `send`, exactly `bytes` bytes (dd counts them, so nothing after is swallowed) are
 *      written beside the target under a private umask, then the end line; the size is
 *      checked, the mode set, and the file renamed over the target, so readers never see half a
 *      file. The bytes themselves are protected in transit by SSH's MAC: hashing the copy again
 *      would only re-read the page cache, at a fifth of the loopback transfer time.
 */
export function receiveFileCommand(
  remotePath: string,
  expected: { bytes: number; mode: number },
): string {
  const mode = expected.mode.toString(8);
  return [
    'set -e',
    `target=${q(remotePath)}`,
    'tmp="$target.kgd-upload.$$"',
    'if [ ! -f "$target" ]; then echo absent',
    `elif state=$(stat -c '%s %a' -- "$target") && [ "\${state%% *}" = ${expected.bytes} ]; then`,
    `  echo "same-size \${state#* }"`,
    `  ${sha256OfStdin} <"$target"`,
    'else echo differs; fi',
    'read -r decision',
    `if [ "$decision" = chmod ]; then chmod ${mode} -- "$target"; fi`,
    '[ "$decision" = send ] || exit 0',
    'mkdir -p -- "$(dirname -- "$target")"',
    `trap 'rm -f -- "$tmp"' EXIT`,
    'umask 077',
    `dd of="$tmp" bs=128K count=${expected.bytes} iflag=count_bytes,fullblock status=none`,
    "read -r marker || marker=''",
    'size=$(stat -c %s -- "$tmp")',
    `[ "$size" = ${expected.bytes} ] || { echo "received $size of ${expected.bytes} bytes" >&2; exit 3; }`,
    `[ "$marker" = ${endOfUpload} ] || { echo "the upload stream is out of step" >&2; exit 4; }`,
    `chmod ${mode} -- "$tmp"`,
    'mv -f -- "$tmp" "$target"',
    'trap - EXIT',
  ].join('\n');
}
