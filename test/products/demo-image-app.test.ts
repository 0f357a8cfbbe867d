import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DemoInstall, installDemo, repoRoot } from './demo-install.js';

const imageInstallDir = path.join(repoRoot, 'templates/demo-image/image/opt/demo-image');
const licenseBin = path.join(repoRoot, 'templates/demo-license/package/bin');

describe('demo-image: the image disk content, run as the engine runs firstBoot', () => {
  let demo: DemoInstall;

  beforeEach(async () => {
    demo = await installDemo({
      source: imageInstallDir,
      licenseFile: 'license/license.key',
      publicKeyFile: 'license/license.pub',
      limits: { users: 25 },
      skuCode: 'standard',
    });
  });

  afterEach(() => demo.cleanup());

  it('shares its program with demo-license, byte for byte, except app.json', () => {
    const files = readdirSync(path.join(imageInstallDir, 'bin')).sort();
    expect(files).toEqual(readdirSync(licenseBin).sort());
    for (const f of files.filter((f) => f !== 'app.json')) {
      expect(readFileSync(path.join(imageInstallDir, 'bin', f), 'utf8'), f).toBe(
        readFileSync(path.join(licenseBin, f), 'utf8'),
      );
    }
    const app = JSON.parse(readFileSync(path.join(imageInstallDir, 'bin/app.json'), 'utf8'));
    expect(app).toEqual({ name: 'demo-image', title: 'Demo image product', defaultPort: 8081 });
  });

  it('first boot refuses without a license, and with an expired one', async () => {
    const none = await demo.run('bash firstboot.sh');
    expect(none.code).toBe(1);
    expect(none.output).toMatch(/license refused: no license at /);
    demo.writeLicense(demo.license({ expiresAt: new Date(Date.now() - 60_000).toISOString() }));
    const expired = await demo.run('bash firstboot.sh');
    expect(expired.code).toBe(1);
    expect(expired.output).toMatch(/license refused: the license expired at/);
    expect(demo.serverPid()).toBeUndefined();
  });

  it('first boot waits for a slow fork to become the server (a loaded machine)', async () => {
    // On a busy machine the child forked for the server may run late: until it execs, its pid is
    // a copy of the hook's shell. A setsid function that waits before exec'ing reproduces that.
    demo.writeLicense(demo.license());
    const boot = await demo.run(
      'setsid() { sleep 0.5; exec /usr/bin/setsid "$@"; }; export -f setsid; bash firstboot.sh',
    );
    expect(boot.code, boot.output).toBe(0);
    expect(boot.output).toMatch(/demo-image is healthy on port \d+/);
  });

  it('first boot starts the app; stop.sh and start.sh freeze and unfreeze it', async () => {
    demo.writeLicense(demo.license({ skuCode: 'standard', productId: 'OFFI-DEMO-IMAGE' }));
    const boot = await demo.run('bash firstboot.sh');
    expect(boot.code, boot.output).toBe(0);
    expect(boot.output).toMatch(/demo-image is healthy on port \d+ with license lic-/);
    const pid = demo.serverPid()!;

    const html = await (await demo.get('/')).text();
    expect(html).toContain('<title>Demo image product</title>');
    expect(html).toContain('<th>Product</th><td>OFFI-DEMO-IMAGE</td>');
    expect(html).toContain('<th>Plan</th><td>standard</td>');
    expect(html).toContain('<th>Limit: users</th><td>25</td>');
    expect((await demo.get('/healthz')).status).toBe(200);

    // Run again after a crash of the engine: nothing new is started.
    const again = await demo.run('bash firstboot.sh');
    expect(again.code).toBe(0);
    expect(again.output).toContain(`already running (pid ${pid})`);

    const stop = await demo.hook('stop');
    expect(stop.code, stop.output).toBe(0);
    expect(demo.isAlive(pid)).toBe(false);
    await expect(demo.get('/healthz')).rejects.toThrow();

    const start = await demo.hook('start');
    expect(start.code, start.output).toBe(0);
    expect((await demo.get('/healthz')).status).toBe(200);
    expect((await demo.hook('stop')).code).toBe(0);
  });
});
