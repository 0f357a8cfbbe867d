import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { type Kysely, sql } from 'kysely';
import { CliError, type CliIo, exitCodes } from '../platform/cli-io.js';
import { type Clock, systemClock } from '../platform/clock.js';
import type { Database } from '../platform/db/schema.js';
import type { SecretBox } from '../platform/secrets.js';
import { type LicenseDocument, verifyLicense } from './license-token.js';
import { loadOrCreateSigningKey, publishedKeys } from './signing-key.js';

/**
 * `kgd license public-key | verify <file> | show <instanceId>`: the key products verify licenses
 * with, and an operator's view of a license, all with `--json`. `verify` exits 1 unless the license
 * is valid now; with `--public-key` it needs no database (a seller or buyer can run it anywhere).
 *
 * @example
 *   kgd license public-key > license.pub
 *   kgd license verify /opt/demo-license/license/license.key --public-key license.pub
 */
export interface LicenseCommandDeps {
  /** Decides expiry; the system clock unless a test injects one. */
  clock?: Clock;
}

type Status = 'valid' | 'expired' | 'not-yet-valid' | 'revoked' | 'invalid';

interface Verdict {
  status: Status;
  reason?: string;
  document?: LicenseDocument;
  daysLeft?: number | null;
}

export function registerLicenseCommand(
  program: Command,
  io: LicenseIo,
  deps: LicenseCommandDeps = {},
): void {
  const clock = deps.clock ?? systemClock;
  const license = program
    .command('license')
    .description('the signed (Ed25519) licenses this service issues for each instance');

  license
    .command('public-key')
    .description(
      'print the PEM public keys that verify licenses: the current one first, then any still published during a key rotation (products install or embed them all)',
    )
    .option('--json', 'print the result as JSON')
    .action(async (flags: { json?: boolean }) => {
      const keys = await withRuntime(io, (rt) => published(rt, clock));
      if (!flags.json) return void io.stdout.write(keys.map((k) => k.publicKeyPem).join(''));
      const out = keys.map((k) => {
        const der = createPublicKey(k.publicKeyPem).export({ format: 'der', type: 'spki' });
        const fingerprint = `SHA256:${createHash('sha256').update(der).digest('base64')}`;
        return { kid: k.kid, current: k.current, publicKeyPem: k.publicKeyPem, fingerprint };
      });
      io.stdout.write(`${JSON.stringify({ ...out[0], keys: out }, null, 2)}\n`);
    });

  license
    .command('verify <file>')
    .description(
      'check a license file (- for stdin): signature and validity; exit 0 only if valid now',
    )
    .option(
      '--public-key <pem>',
      "verify with the keys in this PEM file (one or several; the license's kid picks) instead of the service's",
    )
    .option('--json', 'print the result as JSON')
    .action(async (file: string, flags: { publicKey?: string; json?: boolean }) => {
      const token = extractToken(await readInput(io, file));
      const keys = flags.publicKey
        ? readPublicKeys(flags.publicKey)
        : await withRuntime(io, async (rt) =>
            (await published(rt, clock)).map((k) => k.publicKeyPem),
          );
      const verdict = judge(token, keys, clock.now());
      if (flags.json) io.stdout.write(`${JSON.stringify(verdictJson(verdict), null, 2)}\n`);
      else io.stdout.write(describe(verdict));
      if (verdict.status !== 'valid')
        throw new CliError(`license ${verdict.status}: ${verdict.reason}`, exitCodes.failure);
    });

  license
    .command('show <instanceId>')
    .description("print an instance's current license (document and validity); exit 3 if none")
    .option('--json', 'print the result as JSON')
    .action(async (instanceId: string, flags: { json?: boolean }) => {
      await withRuntime(io, async (rt) => {
        const db = rt.database.db;
        const rows = await db
          .selectFrom('licenses')
          .selectAll()
          .where('instance_id', '=', instanceId)
          .orderBy(sql`revoked_at IS NULL`, 'desc')
          .orderBy('issued_at', 'desc')
          .orderBy('id', 'desc')
          .execute();
        const current = rows[0];
        if (!current) {
          const instance = await db
            .selectFrom('instances')
            .select('id')
            .where('id', '=', instanceId)
            .executeTakeFirst();
          throw new CliError(
            instance ? `instance ${instanceId} has no license yet` : `no instance ${instanceId}`,
            exitCodes.notFound,
          );
        }
        const keys = (await published(rt, clock)).map((k) => k.publicKeyPem);
        const verdict = judge(current.text, keys, clock.now(), current.revoked_at);
        if (flags.json) {
          const out = {
            instanceId,
            ...verdictJson(verdict),
            token: current.text,
            issuedAt: current.issued_at.toISOString(),
            revokedAt: current.revoked_at?.toISOString() ?? null,
            licensesIssued: rows.length,
          };
          io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
          return;
        }
        io.stdout.write(describe(verdict));
        io.stdout.write(
          `${pad('issued for')}${rows.length} license(s) so far; this is the current one\n`,
        );
        io.stdout.write(`${pad('token')}${current.text}\n`);
      });
    });
}

/** What the license commands open: the database and the master key (the composition root's). */
interface LicenseRuntime {
  database: { db: Kysely<Database> };
  secretBox: SecretBox;
  close(): Promise<void>;
}

/** The CLI's io, plus how to open the runtime (given by the composition root). */
export interface LicenseIo extends CliIo {
  openRuntime(
    env: Record<string, string | undefined>,
    options: { applicationName: string; logDestination: NodeJS.WritableStream },
  ): Promise<LicenseRuntime>;
}

async function withRuntime<T>(
  io: LicenseIo,
  use: (runtime: LicenseRuntime) => Promise<T>,
): Promise<T> {
  // Logs go to stderr, so stdout stays what the command prints (a PEM, JSON).
  const logDestination = new Writable({
    write(chunk, _encoding, done) {
      io.stderr.write(chunk.toString());
      done();
    },
  });
  const env = { ...io.env, KGD_LOG_LEVEL: io.env.KGD_LOG_LEVEL ?? 'warn' };
  const runtime = await io.openRuntime(env, { applicationName: 'kgd-license', logDestination });
  try {
    return await use(runtime);
  } finally {
    await runtime.close();
  }
}

/** The published keys (creating the first one if the service never ran). */
async function published(runtime: LicenseRuntime, clock: Clock) {
  const { db } = runtime.database;
  await loadOrCreateSigningKey({ db, secretBox: runtime.secretBox, clock });
  return publishedKeys(db, runtime.secretBox);
}

async function readInput(io: CliIo, file: string): Promise<string> {
  if (file !== '-') {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
  }
  let text = '';
  for await (const chunk of io.stdin) text += chunk;
  return text;
}

/** A license file may wrap the token in the product's template: take the KGD1 line. */
function extractToken(text: string): string {
  const lines = text.split('\n').map((l) => l.trim());
  return lines.find((l) => l.startsWith('KGD1.')) ?? text.trim();
}

/** Every PEM public key in the file (`kgd license public-key` prints one or several). */
function readPublicKeys(file: string): KeyObject[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(
      `--public-key ${file}: cannot read (${(err as NodeJS.ErrnoException).code})`,
    );
  }
  const blocks = text.match(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g) ?? [];
  try {
    if (blocks.length === 0) throw new Error('no PEM block');
    return blocks.map((pem) => createPublicKey(pem));
  } catch {
    throw new CliError(
      `--public-key ${file}: expected a PEM public key, or several (kgd license public-key)`,
    );
  }
}

function judge(
  token: string,
  keys: Array<KeyObject | string>,
  now: Date,
  revokedAt?: Date | null,
): Verdict {
  const check = verifyLicense(token, keys, now);
  if (!check.valid) return { status: 'invalid', reason: check.reason };
  const document = check.document;
  const daysLeft =
    document.expiresAt === null
      ? null
      : Math.max(0, Math.ceil((Date.parse(document.expiresAt) - now.getTime()) / 86_400_000));
  if (revokedAt)
    return {
      status: 'revoked',
      reason: `revoked at ${revokedAt.toISOString()}`,
      document,
      daysLeft,
    };
  if (check.expired)
    return { status: 'expired', reason: `expired at ${document.expiresAt}`, document, daysLeft };
  if (check.notYetValid)
    return { status: 'not-yet-valid', reason: `not valid before ${document.notBefore}`, document };
  return { status: 'valid', document, daysLeft };
}

function verdictJson(v: Verdict) {
  return {
    valid: v.status === 'valid',
    status: v.status,
    ...(v.reason ? { reason: v.reason } : {}),
    ...(v.daysLeft !== undefined ? { daysLeft: v.daysLeft } : {}),
    license: v.document ?? null,
  };
}

const pad = (label: string) => label.padEnd(12);

function describe(v: Verdict): string {
  const d = v.document;
  const status = v.status === 'valid' ? 'valid' : `${v.status.toUpperCase()}: ${v.reason}`;
  if (!d) return `${pad('status')}${status}\n`;
  const limits = Object.entries(d.limits ?? {}).map(([k, value]) => `${k}=${value}`);
  const expires =
    d.expiresAt === null ? 'never (perpetual)' : `${d.expiresAt} (${v.daysLeft} days left)`;
  const bound = [
    d.boundTo?.serverId && `server ${d.boundTo.serverId}`,
    d.boundTo?.machineCode && `machine ${d.boundTo.machineCode}`,
  ].filter(Boolean);
  const rows: Array<[string, string]> = [
    ['license', d.id],
    ['instance', d.instanceId],
    ['order', d.orderId ?? '-'],
    ['product', `${d.productId ?? '-'} (sku ${d.skuCode ?? '-'})`],
    ['licensee', `${d.licensee.customerName ?? '-'} (${d.licensee.customerId ?? '-'})`],
    ['limits', limits.join(', ') || 'none'],
    ['issued', d.issuedAt],
    ['valid from', d.notBefore],
    ['expires', expires],
    ['bound to', bound.join(', ') || 'nothing'],
    ['test', d.test ? 'yes (seller test order)' : 'no'],
    ['status', status],
  ];
  return rows.map(([k, value]) => `${pad(k)}${value}\n`).join('');
}
