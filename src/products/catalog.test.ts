import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { loadProductCatalog, TemplateError } from './catalog.js';
import { accessVariables } from './render.js';

const templatesDir = path.resolve(import.meta.dirname, '../../templates');

describe('the sample products', () => {
  const catalog = loadProductCatalog(templatesDir);

  it('load without problems', () => {
    expect(catalog.products.map((p) => [p.name, p.kind])).toEqual([
      ['demo-image', 'image'],
      ['demo-license', 'license'],
    ]);
  });

  it('demo-license serves both period types and both skus', () => {
    for (const productId of ['OFFI-DEMO-LICENSE-MONTH', 'OFFI-DEMO-LICENSE-YEAR']) {
      const pro = catalog.resolve(productId, 'pro')!;
      expect(pro.product.name).toBe('demo-license');
      expect(pro.sku).toEqual({
        flavor: 'c7.xlarge.2',
        fallbackFlavors: ['s6.xlarge.2'],
        limits: { users: 100 },
      });
    }
    const basic = catalog.resolve('OFFI-DEMO-LICENSE-MONTH', 'basic')!;
    expect(basic.sku).toMatchObject({ flavor: 's6.small.1', fallbackFlavors: ['s6.medium.2'] });
    expect(basic.sku.limits).toEqual({ users: 10 });
    expect(catalog.resolve('OFFI-DEMO-LICENSE-MONTH', 'gold')).toBeUndefined();
    expect(catalog.resolve('OFFI-UNKNOWN', 'basic')).toBeUndefined();
  });

  it('demo-license: the values the engine and the simulator agree on', () => {
    const p = catalog.byName('demo-license')!;
    expect(p.compute.images).toEqual({ 'cn-north-4': '1a2b3c4d-0001-4000-8000-000000002204' });
    expect(p.compute.azs).toEqual(['cn-north-4a', 'cn-north-4b', 'cn-north-4c']);
    expect(p.securityGroup.rules).toEqual([
      { protocol: 'tcp', ports: '8080', source: '0.0.0.0/0' },
    ]);
    expect(p.package?.installDir).toBe('/opt/demo-license');
    expect(p.license.path).toBe('/opt/demo-license/license/license.key');
    expect(p.license.publicKeyPath).toBe('/opt/demo-license/license/license.pub');
    expect(p.access.frontEndUrl).toBe('http://{{eip}}:8080/');
    expect(p.access.adminUrl).toBe('http://{{eip}}:8080/admin');
    expect(p.health).toEqual({
      http: { port: 8080, path: '/healthz', expectStatus: 200 },
      timeoutSeconds: 120,
    });
    expect(p.existingServer).toEqual({
      hostParam: 'serverIp',
      passwordParam: 'serverPassword',
      serverIdParam: 'ecsId',
      allowCidrs: [],
      serverIdLookup: false,
    });
    expect(p.packagePath).toBe(path.join(templatesDir, 'demo-license/package'));
    expect(p.version).toMatch(/^[0-9a-f]{12}$/);
  });

  it('demo-image: its private image, and the first-boot script inside the image content', () => {
    const p = catalog.byName('demo-image')!;
    const standard = catalog.resolve('OFFI-DEMO-IMAGE', null)!;
    expect(standard.skuCode).toBe('standard');
    expect(standard.sku.flavor).toBe('s6.medium.2');
    expect(p.compute.images).toEqual({ 'cn-north-4': 'img-kgd-demo-image-cn-north-4' });
    expect(p.firstBoot).toEqual({
      installDir: '/opt/demo-image',
      command: 'bash firstboot.sh',
      timeoutSeconds: 300,
    });
    expect(p.package).toBeUndefined();
    const imageInstallDir = path.join(p.dir, 'image', p.firstBoot!.installDir);
    for (const f of ['firstboot.sh', 'scripts/start.sh', 'scripts/stop.sh', 'bin/server.mjs']) {
      expect(existsSync(path.join(imageInstallDir, f)), f).toBe(true);
    }
    expect(p.health).toMatchObject({ http: { port: 8081, path: '/healthz' } });
    expect(p.securityGroup.rules).toEqual([
      { protocol: 'tcp', ports: '8081', source: '0.0.0.0/0' },
    ]);
  });
});

// A minimal valid license product; each broken case changes one thing.
function validProduct(name: string): Record<string, unknown> {
  return {
    name,
    kind: 'license',
    marketplace: {
      productIds: [`OFFI-${name.toUpperCase()}`],
      skus: { basic: { flavor: 's6.small.1' } },
    },
    compute: { images: { 'cn-north-4': 'img-1' } },
    securityGroup: { rules: [{ ports: '8080' }] },
    package: { source: 'package', installDir: `/opt/${name}` },
    license: { path: `/opt/${name}/license.key` },
    health: { http: { port: 8080 } },
    access: { frontEndUrl: 'http://{{eip}}:8080/' },
  };
}

describe('broken templates: every problem names the file, the field and what is expected', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'kgd-templates-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function writePackage(dir: string, scripts = ['install.sh', 'start.sh']) {
    mkdirSync(path.join(dir, 'bin'), { recursive: true });
    writeFileSync(path.join(dir, 'bin/app.sh'), 'echo app\n');
    mkdirSync(path.join(dir, 'scripts'), { recursive: true });
    for (const s of scripts) writeFileSync(path.join(dir, 'scripts', s), 'exit 0\n');
  }

  /** Writes templates/<name>/product.yaml (raw text or an object) with a good package. */
  function writeTemplate(name: string, product: Record<string, unknown> | string) {
    const dir = path.join(root, name);
    writePackage(path.join(dir, 'package'));
    const file = path.join(dir, 'product.yaml');
    writeFileSync(file, typeof product === 'string' ? product : YAML.stringify(product));
    return file;
  }

  function problems(): string[] {
    try {
      loadProductCatalog(root);
    } catch (err) {
      expect(err).toBeInstanceOf(TemplateError);
      return (err as TemplateError).problems;
    }
    throw new Error('the catalog loaded');
  }

  it('a valid minimal product loads, with the schema defaults', () => {
    writeTemplate('tiny', validProduct('tiny'));
    const [p] = loadProductCatalog(root).products;
    expect(p!.network).toEqual({
      mode: 'per-instance',
      vpcCidr: '192.168.0.0/16',
      subnetCidr: '192.168.0.0/24',
    });
    expect(p!.license.template).toBe('{{license}}\n');
    expect(p!.lifecycle).toEqual({
      expire: 'stop-service',
      onFailure: 'keep',
      renew: 'update-hook',
    });
  });

  const cases: Array<{
    what: string;
    setup: (file: (name: string, product: Record<string, unknown> | string) => string) => void;
    expected: (name: string) => string;
  }> = [
    {
      what: 'bad YAML',
      setup: (w) => w('bad', 'name: bad\nkind: [license\n'),
      expected: (f) => `${f}: not valid YAML: `,
    },
    {
      what: 'an unknown field',
      setup: (w) => w('bad', { ...validProduct('bad'), colour: 'blue' }),
      expected: (f) => `${f}: (top level): Unrecognized key: "colour"`,
    },
    {
      what: 'an unknown nested field',
      setup: (w) => {
        const p = validProduct('bad');
        w('bad', { ...p, compute: { ...(p.compute as object), flavour: 's6' } });
      },
      expected: (f) => `${f}: compute: Unrecognized key: "flavour"`,
    },
    {
      what: 'a wrong kind',
      setup: (w) => w('bad', { ...validProduct('bad'), kind: 'saas' }),
      expected: (f) => `${f}: kind: expected license or image`,
    },
    {
      what: 'bad security group ports',
      setup: (w) =>
        w('bad', { ...validProduct('bad'), securityGroup: { rules: [{ ports: '80-' }] } }),
      expected: (f) =>
        `${f}: securityGroup.rules.0.ports: expected ports such as "22" or "80,443,8000-8100"`,
    },
    {
      what: 'a relative install dir',
      setup: (w) =>
        w('bad', { ...validProduct('bad'), package: { source: 'package', installDir: 'opt/x' } }),
      expected: (f) => `${f}: package.installDir: expected an absolute path on the server`,
    },
    {
      what: 'a license product without a package',
      setup: (w) => w('bad', { ...validProduct('bad'), package: undefined }),
      expected: (f) => `${f}: package: required for a license product`,
    },
    {
      what: 'a package source that does not exist',
      setup: (w) =>
        w('bad', { ...validProduct('bad'), package: { source: 'pkg', installDir: '/opt/x' } }),
      expected: (f) => `${f}: package.source: pkg does not exist`,
    },
    {
      what: 'a package source outside the template folder',
      setup: (w) => {
        w('other', validProduct('other'));
        w('bad', {
          ...validProduct('bad'),
          package: { source: '../other/package', installDir: '/opt/x' },
        });
      },
      expected: (f) =>
        `${f}: package.source: ${path.join(path.dirname(f), '../other/package')} is outside the template folder`,
    },
    {
      what: 'a package with a link to a file outside the template folder',
      setup: (w) => {
        const file = w('bad', validProduct('bad'));
        symlinkSync('/etc/hostname', path.join(path.dirname(file), 'package/bin/hostname'));
      },
      expected: (f) =>
        `${f}: package.source: ${path.join(path.dirname(f), 'package/bin/hostname')} is outside the template folder`,
    },
    {
      what: 'a package archive with a top-level folder',
      setup: (w) => {
        const file = w('bad', {
          ...validProduct('bad'),
          package: { source: 'bad.tar.gz', installDir: '/opt/x' },
        });
        const dir = path.dirname(file);
        writePackage(path.join(dir, 'build/bad'));
        execFileSync('tar', [
          '-czf',
          path.join(dir, 'bad.tar.gz'),
          '-C',
          path.join(dir, 'build'),
          'bad',
        ]);
      },
      expected: (f) =>
        `${f}: package: no bin/ at the top level (the archive must not have a top-level folder)`,
    },
    {
      what: 'a package without scripts/start.sh',
      setup: (w) => {
        const file = w('bad', validProduct('bad'));
        rmSync(path.join(path.dirname(file), 'package/scripts/start.sh'));
      },
      expected: (f) => `${f}: package: scripts/start.sh is required`,
    },
    {
      what: 'an unknown hook script',
      setup: (w) => {
        const file = w('bad', validProduct('bad'));
        writeFileSync(path.join(path.dirname(file), 'package/scripts/deploy.sh'), 'exit 0\n');
      },
      expected: (f) =>
        `${f}: package: scripts/deploy.sh is not a lifecycle hook (expected install.sh, start.sh, poststart.sh, restart.sh, prestop.sh, stop.sh, update.sh, uninstall.sh)`,
    },
    {
      what: 'an unknown {{variable}}',
      setup: (w) =>
        w('bad', { ...validProduct('bad'), access: { frontEndUrl: 'http://{{ip}}:8080/' } }),
      expected: (f) =>
        `${f}: access.frontEndUrl: unknown variable {{ip}} (available: ${accessVariables.join(', ')})`,
    },
    {
      what: 'an unknown variable in the license template',
      setup: (w) =>
        w('bad', {
          ...validProduct('bad'),
          license: { path: '/opt/x/l', template: '{{license}} {{secret}}' },
        }),
      expected: (f) => `${f}: license.template: unknown variable {{secret}} (available: `,
    },
    {
      what: 'an image product without firstBoot',
      setup: (w) => w('bad', { ...validProduct('bad'), kind: 'image', package: undefined }),
      expected: (f) => `${f}: firstBoot: required for an image product`,
    },
    {
      what: 'an image product onto an existing server',
      setup: (w) =>
        w('bad', {
          ...validProduct('bad'),
          kind: 'image',
          package: undefined,
          firstBoot: { command: 'bash firstboot.sh', installDir: '/opt/x' },
          existingServer: {},
        }),
      expected: (f) => `${f}: existingServer: only license products install onto a buyer's server`,
    },
    {
      what: 'an allow-list entry that is not a CIDR',
      setup: (w) =>
        w('bad', { ...validProduct('bad'), existingServer: { allowCidrs: ['10.0.0.1'] } }),
      expected: (f) =>
        `${f}: existingServer.allowCidrs: 10.0.0.1 is not a CIDR (expected e.g. 203.0.113.0/24)`,
    },
    {
      what: 'an allow-list entry holding the metadata address',
      setup: (w) =>
        w('bad', { ...validProduct('bad'), existingServer: { allowCidrs: ['169.254.0.0/16'] } }),
      expected: (f) =>
        `${f}: existingServer.allowCidrs: 169.254.0.0/16 contains the metadata address 169.254.169.254, which a buyer may never name`,
    },
  ];

  it.each(cases)('$what', ({ setup, expected }) => {
    let file = '';
    setup((name, product) => {
      file = writeTemplate(name, product);
      return file;
    });
    const found = problems();
    const want = expected(file);
    expect(
      found.some((p) => p.startsWith(want)),
      `${want}\n in:\n${found.join('\n')}`,
    ).toBe(true);
    expect(found.every((p) => p.startsWith(`${file}: `))).toBe(true);
  });

  it('a productId claimed twice names both files', () => {
    const first = writeTemplate('first', validProduct('first'));
    const second = writeTemplate('second', {
      ...validProduct('second'),
      marketplace: { productIds: ['OFFI-FIRST'], skus: { basic: { flavor: 's6.small.1' } } },
    });
    expect(problems()).toEqual([
      `${second}: marketplace.productIds: OFFI-FIRST is also served by ${first}`,
    ]);
  });

  it('a name used twice', () => {
    writeTemplate('one', validProduct('same'));
    const two = writeTemplate('two', {
      ...validProduct('same'),
      marketplace: { productIds: ['OFFI-OTHER'], skus: { basic: { flavor: 's6.small.1' } } },
    });
    expect(problems()).toEqual([`${two}: name: same is used twice`]);
  });

  it('reports the problems of every file at once', () => {
    const a = writeTemplate('aa', { ...validProduct('aa'), kind: 'saas' });
    const b = writeTemplate('bb', { ...validProduct('bb'), access: { frontEndUrl: '{{nope}}' } });
    writeTemplate('cc', validProduct('cc'));
    const found = problems();
    expect(found).toHaveLength(2);
    expect(found[0]).toContain(`${a}: kind:`);
    expect(found[1]).toContain(`${b}: access.frontEndUrl: unknown variable {{nope}}`);
  });

  it('a missing templates directory', () => {
    expect(() => loadProductCatalog(path.join(root, 'nowhere'))).toThrow(
      `${path.join(root, 'nowhere')}: no such directory`,
    );
  });

  it('a .tar.gz package in the KooGallery layout loads; its version follows its content', () => {
    const file = writeTemplate('arch', {
      ...validProduct('arch'),
      package: { source: 'arch.tar.gz', installDir: '/opt/arch' },
    });
    const dir = path.dirname(file);
    const pack = () =>
      execFileSync('tar', [
        '-czf',
        path.join(dir, 'arch.tar.gz'),
        '-C',
        path.join(dir, 'package'),
        '.',
      ]);
    pack();
    const first = loadProductCatalog(root).products[0]!;
    expect(first.packagePath).toBe(path.join(dir, 'arch.tar.gz'));
    expect(statSync(first.packagePath!).isFile()).toBe(true);
    writeFileSync(path.join(dir, 'package/bin/app.sh'), 'echo app v2\n');
    pack();
    expect(loadProductCatalog(root).products[0]!.version).not.toBe(first.version);
  });
});
