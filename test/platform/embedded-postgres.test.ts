import { spawn } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
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
