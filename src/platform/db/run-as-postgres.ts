import { execFileSync } from 'node:child_process';
import { chmodSync, statSync } from 'node:fs';
import path from 'node:path';
import { SetupError } from '../errors.js';
import type { Logger } from '../logger.js';

/**
 * Who embedded PostgreSQL runs as. As root it is the OS user `postgres` (PostgreSQL refuses root),
 * created when missing; where that user cannot enter a folder on the way to its files (a clone in
 * `/root` or a `mktemp -d` folder), it runs through util-linux `setpriv` with the one capability
 * CAP_DAC_READ_SEARCH.
 */
export interface RunAs {
  uid?: number;
  gid?: number;
  /** setpriv's options when `postgres` needs CAP_DAC_READ_SEARCH to reach its files. */
  setpriv?: string[];
}

export function ensurePostgresUser(logger: Logger): RunAs {
  if (process.getuid?.() !== 0) return {};
  const lookup = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
  });
  try {
    return lookup();
  } catch {
    logger.info('creating the OS user postgres: PostgreSQL refuses to run as root');
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
    return lookup();
  }
}

function permits(st: { uid: number; gid: number; mode: number }, runAs: RunAs, bit: number) {
  return Boolean(
    (st.uid === runAs.uid && st.mode & (bit << 6)) ||
      (st.gid === runAs.gid && st.mode & (bit << 3)) ||
      st.mode & bit,
  );
}

/** The first folder on the way to `target` that `runAs` may not traverse, if any. */
function untraversable(target: string, runAs: RunAs): string | undefined {
  let p = path.dirname(target);
  while (p !== path.dirname(p)) {
    if (!permits(statSync(p), runAs, 0o1)) return p;
    p = path.dirname(p);
  }
  return undefined;
}

/**
 * How `postgres` reaches its files. Where every folder on the way lets it through, it runs with
 * its own rights only (as before). Otherwise it gets CAP_DAC_READ_SEARCH through setpriv: the
 * capability in its inheritable and ambient sets so it survives the exec, the securebit
 * no_setuid_fixup so that access(2) (initdb's check of the postgres binary) keeps it, no new
 * privileges, and a bounding set of that capability alone. Where setpriv or the capability is
 * unavailable (a container without it), the old advice stands.
 */
export function reachWith(
  runAs: RunAs,
  targets: string[],
  bins: { initdb: string; postgres: string },
  logger: Logger,
): RunAs {
  if (runAs.uid === undefined) return runAs;
  for (const binary of [bins.initdb, bins.postgres]) {
    const st = statSync(binary);
    if (!permits(st, runAs, 0o1)) {
      // An install under umask 077: the binaries must be executable by postgres, nothing more.
      chmodSync(binary, st.mode | 0o011);
      logger.info({ binary }, 'embedded PostgreSQL: made the binary executable by postgres');
    }
  }
  let blocked: string | undefined;
  for (const target of targets) blocked ??= untraversable(target, runAs);
  if (blocked === undefined) return runAs;
  const setpriv = [
    `--reuid=${runAs.uid}`,
    `--regid=${runAs.gid}`,
    '--clear-groups',
    '--no-new-privs',
    '--bounding-set=-all,+dac_read_search',
    '--securebits=+no_setuid_fixup',
    '--inh-caps=-all,+dac_read_search',
    '--ambient-caps=+dac_read_search',
  ];
  try {
    // Proves it all at once: setpriv, the capability, the exec and the shared libraries.
    execFileSync('setpriv', [...setpriv, '--', bins.postgres, '--version'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    const said = String(e.stderr ?? e.message)
      .trim()
      .split('\n')[0];
    const why =
      e.code === 'ENOENT'
        ? 'setpriv is missing (install util-linux)'
        : `setpriv could not give it CAP_DAC_READ_SEARCH (${said}; in a container: --cap-add DAC_READ_SEARCH)`;
    throw new SetupError(
      `embedded PostgreSQL runs as the OS user postgres, which cannot enter ${blocked}, and ${why}: ` +
        `chmod o+x ${blocked}, put the project (or KGD_DATA_DIR, if only the data directory is ` +
        'private) in a folder postgres can enter, or set DATABASE_URL',
    );
  }
  logger.info(
    { blocked },
    'embedded PostgreSQL: the OS user postgres cannot enter a folder on its way; running it with CAP_DAC_READ_SEARCH',
  );
  return { ...runAs, setpriv };
}

/** The command that runs `binary` as `runAs`, and the ids to give spawn. */
export function asPostgres(runAs: RunAs, binary: string, args: string[]) {
  if (runAs.setpriv) {
    return { file: 'setpriv', args: [...runAs.setpriv, '--', binary, ...args], ids: {} };
  }
  const ids = runAs.uid === undefined ? {} : { uid: runAs.uid, gid: runAs.gid };
  return { file: binary, args, ids };
}
