import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.js';
import { type DemoInstall, installDemo, repoRoot } from './demo-install.js';

const packageDir = path.join(repoRoot, 'templates/demo-license/package');

function basic(user: string, password: string) {
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}

describe('demo-license package, run through its hooks', () => {
  let demo: DemoInstall;

  beforeEach(async () => {
    demo = await installDemo({
      source: packageDir,
      licenseFile: 'license/license.key',
      publicKeyFile: 'license/license.pub',
    });
    const install = await demo.hook('install');
    expect(install.output).toContain('installed in');
    expect(install.code).toBe(0);
  });

  afterEach(() => demo.cleanup());

  const refusals: Array<[string, (d: DemoInstall) => string | undefined, RegExp]> = [
    ['no license file', () => undefined, /license refused: no license at .*license\.key/],
    [
      'a tampered license',
      (d) => {
        const [prefix, payload, signature] = d.license().split('.') as [string, string, string];
        const doc = JSON.parse(Buffer.from(payload, 'base64url').toString());
        doc.limits.users = 100_000;
        const forged = Buffer.from(JSON.stringify(doc)).toString('base64url');
        return `${prefix}.${forged}.${signature}\n`;
      },
      /license refused: the license signature does not match the public key/,
    ],
    [
      'a license signed by another key',
      (d) => d.license({}, generateKeyPairSync('ed25519').privateKey),
      /license refused: the license signature does not match the public key/,
    ],
    [
      'an expired license',
      (d) => d.license({ expiresAt: new Date(Date.now() - 1000).toISOString() }),
      /license refused: the license expired at 20\d\d-/,
    ],
    [
      'a license not valid yet',
      (d) => d.license({ notBefore: new Date(Date.now() + 86_400_000).toISOString() }),
      /license refused: the license is not valid before/,
    ],
    [
      "another instance's license",
      (d) => d.license({ instanceId: 'inst-someone-else' }),
      /license refused: the license is for instance inst-someone-else, this is inst-/,
    ],
    ['a file without a token', () => 'hello\n', /holds no KGD1 license token/],
  ];

  it.each(refusals)('start refuses %s', async (_, make, message) => {
    const text = make(demo);
    if (text !== undefined) demo.writeLicense(text);
    const start = await demo.hook('start');
    expect(start.output).toMatch(message);
    expect(start.code).toBe(1);
    expect(demo.serverPid()).toBeUndefined();
    const post = await demo.hook('poststart');
    expect(post.code).toBe(1);
    expect(post.output).toMatch(message);
  });

  it('the server itself refuses to run without a valid license, whoever starts it', async () => {
    demo.writeLicense(demo.license({ expiresAt: new Date(Date.now() - 1000).toISOString() }));
    const direct = await demo.run('node bin/server.mjs');
    expect(direct.code).toBe(1);
    expect(direct.output).toMatch(/demo-license: refusing to start: the license expired at/);
  });

  it('runs with a valid license: page, health, admin, renewal, stop, start, uninstall', async () => {
    const first = demo.license();
    demo.writeLicense(`${first}\n# demo-license for Acme, expires soon\n`);
    const start = await demo.hook('start');
    expect(start.code, start.output).toBe(0);
    expect(start.output).toMatch(/license lic-\w+ valid: licensee Acme <Tools> & Sons, sku basic/);
    const post = await demo.hook('poststart');
    expect(post.code, post.output).toBe(0);
    const pid = demo.serverPid()!;
    expect(demo.isAlive(pid)).toBe(true);

    const page = await demo.get('/');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Licensed to <strong>Acme &lt;Tools&gt; &amp; Sons</strong>');
    expect(html).toContain('<th>Plan</th><td>basic</td>');
    expect(html).toContain('<th>Limit: users</th><td>10</td>');
    const doc = JSON.parse(Buffer.from(first.split('.')[1]!, 'base64url').toString());
    expect(html).toContain(`${doc.expiresAt.slice(0, 10)} ${doc.expiresAt.slice(11, 16)} UTC`);
    expect(html).toContain('(30 days left)');
    expect(html).not.toContain(demo.adminPassword);

    const health = await demo.get('/healthz');
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', license: doc.id, daysLeft: 30 });

    expect((await demo.get('/admin')).status).toBe(401);
    expect((await demo.get('/admin', basic('admin', 'wrong'))).status).toBe(401);
    expect((await demo.get('/admin', basic('root', demo.adminPassword))).status).toBe(401);
    const admin = await demo.get('/admin', basic('admin', demo.adminPassword));
    expect(admin.status).toBe(200);
    const adminHtml = await admin.text();
    expect(adminHtml).toContain('<th>Signed in as</th><td>admin</td>');
    expect(adminHtml).toContain(`<th>Instance</th><td>${demo.instanceId}</td>`);
    expect(adminHtml).not.toContain(demo.adminPassword);
    expect((await demo.get('/nowhere')).status).toBe(404);

    // Hooks are idempotent: a second start keeps the running server.
    const again = await demo.hook('start');
    expect(again.code).toBe(0);
    expect(again.output).toContain(`already running (pid ${pid})`);

    // Renewal: the engine writes the new license, then runs update; no restart needed.
    const renewed = demo.license({
      expiresAt: new Date(Date.now() + 400 * 86_400_000).toISOString(),
    });
    demo.writeLicense(renewed);
    const update = await demo.hook('update');
    expect(update.code, update.output).toBe(0);
    const renewedId = JSON.parse(Buffer.from(renewed.split('.')[1]!, 'base64url').toString()).id;
    expect(update.output).toContain(`healthy on port ${demo.port} with license ${renewedId}`);
    expect(demo.serverPid()).toBe(pid);
    expect(await (await demo.get('/')).text()).toContain('(400 days left)');

    // A license that stops verifying while running: the app stops serving at once.
    demo.writeLicense(demo.license({}, generateKeyPairSync('ed25519').privateKey));
    const unlicensed = await demo.get('/healthz');
    expect(unlicensed.status).toBe(503);
    expect(await unlicensed.json()).toMatchObject({ status: 'unlicensed' });
    expect((await demo.get('/')).status).toBe(503);
    const refusedUpdate = await demo.hook('update');
    expect(refusedUpdate.code).toBe(1);
    expect(refusedUpdate.output).toContain('license refused: the license signature does not match');
    demo.writeLicense(renewed);

    // Expiry: stop keeps data; a second stop is a no-op; start brings it back.
    const stop = await demo.hook('stop');
    expect(stop.code, stop.output).toBe(0);
    expect(stop.output).toContain(`stopped (pid ${pid})`);
    expect(demo.isAlive(pid)).toBe(false);
    await expect(demo.get('/healthz')).rejects.toThrow();
    expect((await demo.hook('stop')).output).toContain('not running');
    expect(existsSync(demo.licensePath)).toBe(true);
    expect(readFileSync(path.join(demo.dir, 'log/server.log'), 'utf8')).toContain(
      'SIGTERM received: stopping',
    );

    expect((await demo.hook('start')).code).toBe(0);
    expect((await demo.hook('poststart')).code).toBe(0);
    const restartedPid = demo.serverPid()!;
    expect(restartedPid).not.toBe(pid);

    const restart = await demo.hook('restart');
    expect(restart.code, restart.output).toBe(0);
    expect(demo.isAlive(restartedPid)).toBe(false);
    const lastPid = demo.serverPid()!;
    expect(demo.isAlive(lastPid)).toBe(true);

    // Release: uninstall stops the server and removes the install dir.
    const uninstall = await demo.hook('uninstall');
    expect(uninstall.code, uninstall.output).toBe(0);
    expect(demo.isAlive(lastPid)).toBe(false);
    expect(existsSync(demo.dir)).toBe(false);
  });

  it('poststart fails with the log when the server cannot run (port taken)', async () => {
    // Drops what it accepts: a connection left open would keep close() waiting.
    const blocker = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      blocker.once('error', reject);
      blocker.listen(0, '0.0.0.0', resolve);
    });
    const taken = (blocker.address() as AddressInfo).port;
    const blocked = await installDemo({
      source: packageDir,
      licenseFile: 'license/license.key',
      publicKeyFile: 'license/license.pub',
      port: taken,
    });
    try {
      blocked.writeLicense(blocked.license());
      expect((await blocked.hook('start')).code).toBe(0);
      const post = await blocked.hook('poststart');
      expect(post.code).toBe(1);
      expect(post.output).toContain('demo-license is not running. Last lines of log/server.log');
      expect(post.output).toContain(`cannot listen on 0.0.0.0:${taken}: listen EADDRINUSE`);
    } finally {
      blocked.cleanup();
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('stop escalates to KILL when the server ignores TERM', async () => {
    demo.writeLicense(demo.license());
    expect((await demo.hook('start')).code).toBe(0);
    expect((await demo.hook('poststart')).code).toBe(0);
    const pid = demo.serverPid()!;
    process.kill(pid, 'SIGSTOP');
    const stop = await demo.run('. bin/service.sh && stop_server 1');
    expect(stop.output).toContain(`still running after 1 s: killing pid ${pid}`);
    await waitFor('the stopped server to be killed', () => !demo.isAlive(pid), { timeoutMs: 5000 });
  });
});
