import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/app/cli.js';
import { regionGaps } from '../../src/cloud/regions.js';
import { registerTemplatesCommand } from '../../src/products/cli.js';
import { runCommand } from './cli-harness.js';

const templatesDir = path.resolve(import.meta.dirname, '../../templates');
const check = (argv: string[], env: Record<string, string> = {}) =>
  runCommand(
    (program, io) => registerTemplatesCommand(program, io, { regionGaps }),
    ['templates', 'check', ...argv],
    env,
  );

describe('kgd templates check', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'kgd-templates-cli-'));
    cpSync(templatesDir, root, { recursive: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('lists the sample products and exits 0', async () => {
    const run = await check(['--dir', templatesDir]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^demo-image\s+image\s+OFFI-DEMO-IMAGE\s+skus standard\s+version [0-9a-f]{12}$/m,
    );
    expect(run.stdout).toMatch(
      /^demo-license\s+license\s+OFFI-DEMO-LICENSE-MONTH, OFFI-DEMO-LICENSE-YEAR\s+skus basic, pro\s+version [0-9a-f]{12}$/m,
    );
    expect(run.stdout).toContain(`2 products OK in ${templatesDir}\n`);
  });

  it('takes the folder from KGD_TEMPLATES_DIR, and answers JSON', async () => {
    const run = await check(['--json'], { KGD_TEMPLATES_DIR: root });
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({ ok: true, dir: root, warnings: [] });
    expect(out.products.map((p: { name: string }) => p.name)).toEqual([
      'demo-image',
      'demo-license',
    ]);
    expect(out.products[1]).toMatchObject({
      kind: 'license',
      file: path.join(root, 'demo-license/product.yaml'),
      skus: ['basic', 'pro'],
    });
  });

  it('refuses a region the deployer has no DNS or EIP type for, unless the template gives them', async () => {
    const licenseFile = path.join(root, 'demo-license/product.yaml');
    const yaml = readFileSync(licenseFile, 'utf8');
    writeFileSync(
      licenseFile,
      yaml.replace(/^ {2}images:\n/m, '  images:\n    xx-new-1: img-new\n'),
    );
    const refused = await check(['--dir', root]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `  - ${licenseFile}: compute.images.xx-new-1: no private DNS servers known for region xx-new-1: give regions.xx-new-1.dns in the template\n`,
    );
    expect(refused.stderr).toContain('no EIP type known for region xx-new-1');
    writeFileSync(
      licenseFile,
      `${readFileSync(licenseFile, 'utf8')}regions:\n  xx-new-1:\n    dns: [100.125.1.250, 100.125.1.251]\n    eipType: 5_bgp\n`,
    );
    const served = await check(['--dir', root]);
    expect(served.stderr).toBe('');
    expect(served.code).toBe(0);
  });

  it('lists every problem, each naming file and field, and exits 1', async () => {
    const licenseFile = path.join(root, 'demo-license/product.yaml');
    const imageFile = path.join(root, 'demo-image/product.yaml');
    writeFileSync(licenseFile, 'colour: blue\n', { flag: 'a' });
    writeFileSync(path.join(root, 'demo-image/product.yaml'), 'kind: saas\n', { flag: 'a' });
    const run = await check(['--dir', root]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`  - ${licenseFile}: (top level): Unrecognized key: "colour"\n`);
    expect(run.stderr).toContain(`  - ${imageFile}: not valid YAML: `);
    expect(run.stderr).toContain(`kgd: 2 problems in ${root}\n`);

    const json = await check(['--dir', root, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, dir: root });
    expect(JSON.parse(json.stdout).problems).toHaveLength(2);
  });

  it('finds a shell syntax error in a hook before a buyer does', async () => {
    writeFileSync(
      path.join(root, 'demo-license/package/scripts/stop.sh'),
      '#!/usr/bin/env bash\nif true; then\n  echo stop\n',
    );
    const run = await check(['--dir', root]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `  - ${path.join(root, 'demo-license/product.yaml')}: package: scripts/stop.sh: not valid bash: line \\d+: syntax error`,
      ),
    );
    expect(run.stderr).toContain('kgd: 1 problem in');
  });

  it('checks the image content too, and warns when an image product has none', async () => {
    writeFileSync(path.join(root, 'demo-image/image/opt/demo-image/firstboot.sh'), 'fi\n');
    const bad = await check(['--dir', root]);
    expect(bad.stderr).toContain(
      'demo-image/product.yaml: image: opt/demo-image/firstboot.sh: not valid bash:',
    );
    rmSync(path.join(root, 'demo-image/image'), { recursive: true });
    const run = await check(['--dir', root]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      `warning: ${path.join(root, 'demo-image/product.yaml')}: firstBoot.installDir: image/opt/demo-image does not exist`,
    );
  });

  it('a missing folder is a problem, not a crash', async () => {
    const run = await check(['--dir', path.join(root, 'nowhere')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`  - ${path.join(root, 'nowhere')}: no such directory\n`);
  });

  it('is registered in kgd', async () => {
    let out = '';
    const code = await runCli(['templates', 'check', '--dir', templatesDir], {
      stdin: process.stdin,
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (out += s) },
      env: {},
    });
    expect(code, out).toBe(0);
    expect(out).toContain(`2 products OK in ${templatesDir}`);
  });
});
