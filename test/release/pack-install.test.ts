import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The installable release, tried as a new user would on a machine with Node 20 and nothing else:
 * `npm pack` the repository, `npm install -g` the tarball into a scratch prefix, then run the
 * installed `kgd` from an empty folder, where there is no tsx, no dev dependency, no source and no
 * ./templates. Covered: `kgd --version`, what the package holds (compiled dist/, migrations,
 * templates, the systemd unit; no sources, no tests), `kgd templates check` on the shipped samples,
 * the systemd unit under `systemd-analyze verify` (when it exists) pointing at the installed
 * binary, and the whole `kgd demo` (buy, deploy, renew, expire, unfreeze, upgrade, release on the
 * built-in simulator, with its PostgreSQL embedded in the scratch folder) on fast simulated cloud
 * durations. The install takes one to two minutes (dependencies come from npm's cache or the
 * registry), the demo about a minute.
 */
const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const version = (
  JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    version: string;
  }
).version;
let scratch: string;
let prefix: string;
let installed: string;
let kgdBin: string;

const kgd = (args: string[], cwd: string) =>
  run(kgdBin, args, {
    cwd,
    // Only what a fresh shell has: no npm_* variables, no NODE_OPTIONS or conditions of the runner.
    env: { PATH: `${path.dirname(process.execPath)}:/usr/sbin:/usr/bin:/sbin:/bin`, HOME: scratch },
    maxBuffer: 16 * 1024 * 1024,
    timeout: 240_000,
  });

beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'kgd-release-'));
  prefix = path.join(scratch, 'prefix');
  const packed = await run('npm', ['pack', '--silent', '--pack-destination', scratch], {
    cwd: root,
    maxBuffer: 16 * 1024 * 1024,
  });
  const tarball = path.join(scratch, packed.stdout.trim().split('\n').at(-1)!);
  expect(existsSync(tarball), `npm pack wrote ${tarball}`).toBe(true);
  await run(
    'npm',
    ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball],
    { cwd: scratch, maxBuffer: 16 * 1024 * 1024 },
  );
  installed = path.join(prefix, 'lib/node_modules/koogallery-deployer');
  kgdBin = path.join(prefix, 'bin/kgd');
}, 600_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('the npm package installed globally', () => {
  it('holds the compiled service, migrations, templates and the unit, without sources or dev dependencies', () => {
    expect(existsSync(path.join(installed, 'dist/app/cli.js'))).toBe(true);
    expect(
      readdirSync(path.join(installed, 'dist/platform/db/migrations')).filter((f) =>
        f.endsWith('.js'),
      ).length,
    ).toBeGreaterThan(1);
    expect(existsSync(path.join(installed, 'templates/demo-license/product.yaml'))).toBe(true);
    expect(existsSync(path.join(installed, 'deploy/kgd.service'))).toBe(true);
    expect(existsSync(path.join(installed, 'src'))).toBe(false);
    expect(existsSync(path.join(installed, 'test'))).toBe(false);
    expect(existsSync(path.join(installed, 'dist/.tsbuildinfo'))).toBe(false);
    const deps = readdirSync(path.join(installed, 'node_modules'));
    for (const dev of ['tsx', 'typescript', 'vitest', '@biomejs', 'knip', 'dependency-cruiser'])
      expect(deps, `${dev} is a dev dependency`).not.toContain(dev);
  });

  it('kgd --version prints the package version', async () => {
    const out = await kgd(['--version'], scratch);
    expect(out.stdout.trim()).toBe(version);
  });

  it('kgd templates check finds the shipped samples from an empty folder', async () => {
    const out = await kgd(['templates', 'check'], scratch);
    expect(out.stdout).toContain(`2 products OK in ${path.join(installed, 'templates')}`);
  });

  it.skipIf(spawnSync('systemd-analyze', ['--version']).status !== 0)(
    'deploy/kgd.service passes systemd-analyze verify with the installed kgd',
    async () => {
      const unit = path.join(scratch, 'kgd.service');
      const text = readFileSync(path.join(installed, 'deploy/kgd.service'), 'utf8');
      expect(text).toContain('ExecStart=/usr/local/bin/kgd serve');
      writeFileSync(unit, text.replace('/usr/local/bin/kgd', kgdBin));
      const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
      // verify exits 0 on unknown keys and bad values, printing them: any line is a defect.
      expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
      expect(r.status).toBe(0);
    },
  );

  it('kgd demo runs from the install to the end, leaving nothing in the cloud', async () => {
    const cwd = mkdtempSync(path.join(scratch, 'demo-'));
    const out = await kgd(['demo', '--time-scale', '0.02'], cwd);
    expect(out.stdout).toContain('release succeeded');
    expect(out.stdout).toContain('done: nothing left in the cloud');
    // The embedded PostgreSQL and generated keys went to ./.kgd of the folder it ran in.
    expect(existsSync(path.join(cwd, '.kgd/master.key'))).toBe(true);
  }, 300_000);
});
