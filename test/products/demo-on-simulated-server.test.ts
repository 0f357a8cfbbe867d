import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LicenseDocument, signLicense } from '../../src/licenses/license-token.js';
import { systemClock } from '../../src/platform/clock.js';
import { createSilentLogger } from '../../src/platform/logger.js';
import { fromSsh2 } from '../../src/remote/from-ssh2.js';
import type { RemoteSession } from '../../src/remote/remote-host.js';
import { shellQuote } from '../../src/remote/shell-quote.js';
import { waitForSsh } from '../../src/remote/wait-for-ssh.js';
import { createSimulatedHosts } from '../../src/simulator/hosts/create-simulated-hosts.js';
import type { HostSpec, SimulatedHosts } from '../../src/simulator/hosts/simulated-hosts.js';
import { testHostSpec } from '../support/sim-hosts.js';
import { repoRoot } from './demo-install.js';

/**
 * The samples on a simulated server (its own root, processes and network, reached over real SSH),
 * installed as the engine installs them: package unpacked into installDir, license, public key
 * and .kgd/env written, each hook run with the env sourced. Only the ports differ from the real
 * thing: SSH on 2222 of the server's loopback EIP.
 */
const sshPort = 2222;
const remote = fromSsh2({ logger: createSilentLogger() });
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const publicKeyPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();

let dataDir: string;
let hosts: SimulatedHosts;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'kgd-demo-hosts-'));
  hosts = createSimulatedHosts({ dataDir, sshPort, logger: createSilentLogger() });
});

afterAll(async () => {
  await hosts?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function license(spec: HostSpec, over: Partial<LicenseDocument> = {}): string {
  const now = Date.now();
  return signLicense(
    {
      v: 1,
      id: `lic-${randomBytes(4).toString('hex')}`,
      instanceId: spec.serverId,
      orderId: 'CS-ORDER-1',
      productId: 'OFFI-DEMO-LICENSE-MONTH',
      skuCode: 'basic',
      licensee: { customerId: 'cust-1', customerName: 'Acme Tools' },
      limits: { users: 10 },
      issuedAt: new Date(now).toISOString(),
      notBefore: new Date(now - 60_000).toISOString(),
      expiresAt: new Date(now + 10 * 86_400_000 - 60_000).toISOString(),
      boundTo: { serverId: spec.serverId },
      test: false,
      ...over,
    },
    privateKey,
  );
}

async function connect(spec: HostSpec): Promise<RemoteSession> {
  return waitForSsh(
    remote,
    { host: spec.address, port: sshPort, username: 'root', password: spec.adminPass },
    { clock: systemClock, timeoutMs: 15_000 },
  );
}

/** What the engine writes before the first hook: license, public key, the env file. */
async function writeLicenseFiles(session: RemoteSession, spec: HostSpec, installDir: string) {
  const text = `${license(spec)}\n# demo for Acme Tools, instance ${spec.serverId}\n`;
  await session.uploadContent(text, `${installDir}/license/license.key`, 0o644);
  await session.uploadContent(publicKeyPem, `${installDir}/license/license.pub`, 0o644);
  const env = {
    KGD_INSTANCE_ID: spec.serverId,
    KGD_PRODUCT: path.basename(installDir),
    KGD_SKU: 'basic',
    KGD_INSTALL_DIR: installDir,
    KGD_LICENSE_PATH: `${installDir}/license/license.key`,
    KGD_LICENSE_PUBLIC_KEY_PATH: `${installDir}/license/license.pub`,
    KGD_ADMIN_USER: 'admin',
    KGD_ADMIN_PASSWORD: "It's-a-secret 2026",
    KGD_EIP: spec.address,
    KGD_PRIVATE_IP: spec.privateIp,
    KGD_LIMIT_USERS: '10',
  };
  const content = Object.entries(env)
    .map(([k, v]) => `${k}=${shellQuote(v)}\n`)
    .join('');
  await session.uploadContent(content, `${installDir}/.kgd/env`, 0o600);
}

async function hook(session: RemoteSession, installDir: string, script: string) {
  const command = `cd ${shellQuote(installDir)} && set -a && . ./.kgd/env && set +a && ${script}`;
  const run = await session.exec(command, { timeoutMs: 60_000 });
  return { code: run.exitCode, output: run.stdout + run.stderr };
}

const basic = (password: string) => ({
  authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`,
});

describe('the samples on a simulated server', () => {
  it('demo-license: deploy, expire (stop), server power cycle, unfreeze (start), release', async () => {
    const spec = testHostSpec(`lic-${randomBytes(3).toString('hex')}`, {
      image: { id: '1a2b3c4d-0001-4000-8000-000000002204' },
    });
    await hosts.start(spec);
    const installDir = '/opt/demo-license';
    const archive = path.join(dataDir, 'demo-license.tar.gz');
    execFileSync('tar', [
      '-czf',
      archive,
      '-C',
      path.join(repoRoot, 'templates/demo-license/package'),
      '.',
    ]);
    let session = await connect(spec);
    await session.upload(archive, `${installDir}/.kgd/package.tar.gz`, { mode: 0o600 });
    const unpack = await session.exec(
      `mkdir -p ${installDir} && tar -xzf ${installDir}/.kgd/package.tar.gz -C ${installDir}`,
    );
    expect(unpack.exitCode, unpack.stderr).toBe(0);

    // Started before the license is there: refused, with the reason in the hook's output.
    expect((await hook(session, installDir, 'true')).code).not.toBe(0); // no env file yet
    await session.uploadContent('KGD_INSTANCE_ID=x\n', `${installDir}/.kgd/env`, 0o600);
    const early = await hook(session, installDir, 'bash scripts/start.sh');
    expect(early.code).toBe(1);
    expect(early.output).toContain('license refused: KGD_LICENSE_PATH is not set');

    await writeLicenseFiles(session, spec, installDir);
    for (const name of ['install', 'start', 'poststart']) {
      const run = await hook(session, installDir, `bash scripts/${name}.sh`);
      expect(run.code, `${name}: ${run.output}`).toBe(0);
    }
    // The buyer's view, through the EIP and the security group.
    const base = `http://${spec.address}:8080`;
    const page = await (await fetch(`${base}/`)).text();
    expect(page).toContain('Licensed to <strong>Acme Tools</strong>');
    expect(page).toContain('(10 days left)');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const admin = await fetch(`${base}/admin`, { headers: basic("It's-a-secret 2026") });
    expect(admin.status).toBe(200);
    expect(await admin.text()).toContain(`<th>Bound to server</th><td>${spec.serverId}</td>`);

    // The app outlived the hook's SSH session; it runs detached in its own session.
    await session.close();
    session = await connect(spec);
    const ps = await session.exec('ps -e -o sid=,pid=,args= | grep "[b]in/server.mjs"');
    expect(ps.stdout).toMatch(/bin\/server\.mjs/);
    const [sid, pid] = ps.stdout.trim().split(/\s+/);
    expect(sid).toBe(pid);

    const stop = await hook(session, installDir, 'bash scripts/stop.sh');
    expect(stop.code, stop.output).toBe(0);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    await session.close();

    // Expiry with lifecycle.expire: both stops the server too; the unfreeze starts it again.
    await hosts.stop(spec.serverId);
    await hosts.start(spec);
    session = await connect(spec);
    const stale = await hook(session, installDir, 'bash scripts/stop.sh'); // pid file of a dead boot
    expect(stale.output).toContain('not running');
    for (const name of ['start', 'poststart']) {
      const run = await hook(session, installDir, `bash scripts/${name}.sh`);
      expect(run.code, `${name}: ${run.output}`).toBe(0);
    }
    expect((await fetch(`${base}/healthz`)).status).toBe(200);

    for (const name of ['stop', 'uninstall']) {
      const run = await hook(session, installDir, `bash scripts/${name}.sh`);
      expect(run.code, `${name}: ${run.output}`).toBe(0);
    }
    expect((await session.exec(`test -e ${installDir}`)).exitCode).toBe(1);
    await session.close();
    await hosts.destroy(spec.serverId);
  });

  it('demo-image: first boot from the image content, freeze, unfreeze', async () => {
    const spec = testHostSpec(`img-${randomBytes(3).toString('hex')}`, {
      image: {
        id: 'img-kgd-demo-image-cn-north-4',
        filesDir: path.join(repoRoot, 'templates/demo-image/image'),
      },
      ingress: [
        { protocol: 'tcp', portMin: 22, portMax: 22, remoteIpPrefix: '0.0.0.0/0' },
        { protocol: 'tcp', portMin: 8081, portMax: 8081, remoteIpPrefix: '0.0.0.0/0' },
      ],
    });
    await hosts.start(spec);
    const installDir = '/opt/demo-image';
    const session = await connect(spec);
    await writeLicenseFiles(session, spec, installDir);
    const boot = await hook(session, installDir, 'bash firstboot.sh');
    expect(boot.code, boot.output).toBe(0);
    const base = `http://${spec.address}:8081`;
    expect(await (await fetch(`${base}/`)).text()).toContain('<h1>Demo image product</h1>');

    expect((await hook(session, installDir, 'bash scripts/stop.sh')).code).toBe(0);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    const start = await hook(session, installDir, 'bash scripts/start.sh');
    expect(start.code, start.output).toBe(0);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    await session.close();
    await hosts.destroy(spec.serverId);
  });
});
