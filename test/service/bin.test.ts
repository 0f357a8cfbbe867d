import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runKgd } from '../support/kgd-process.js';

const root = path.resolve(import.meta.dirname, '../..');

/** `bin/kgd.js` as it ships: the compiled CLI in dist/, no tsx. */
describe('bin/kgd.js', () => {
  it('prints the usage of every command from dist/', async () => {
    const kgd = runKgd(['--help'], {});
    expect(await kgd.exited).toBe(0);
    for (const command of ['serve', 'demo', 'simulator', 'deployments', 'templates']) {
      expect(kgd.output()).toContain(command);
    }
    expect(kgd.output()).not.toMatch(/warning|error/i);
  });

  const bare = mkdtempSync(path.join(tmpdir(), 'kgd-unbuilt-'));
  afterAll(() => rmSync(bare, { recursive: true, force: true }));

  it('says it is not built, and exits 78, when dist/ is missing', () => {
    cpSync(path.join(root, 'bin'), path.join(bare, 'bin'), { recursive: true });
    cpSync(path.join(root, 'package.json'), path.join(bare, 'package.json'));
    const r = spawnSync(process.execPath, ['bin/kgd.js', '--help'], {
      cwd: bare,
      encoding: 'utf8',
    });
    expect(r.status).toBe(78);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('kgd: not built: run npm run build\n');
  });
});
