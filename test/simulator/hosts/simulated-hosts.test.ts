import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Permanent, Retryable } from '../../../src/platform/errors.js';
import { createSilentLogger } from '../../../src/platform/logger.js';
import { fromSsh2 } from '../../../src/remote/from-ssh2.js';
import type { SshTarget } from '../../../src/remote/remote-host.js';
import { createSimulatedHosts } from '../../../src/simulator/hosts/create-simulated-hosts.js';
import type { HostSpec, SimulatedHosts } from '../../../src/simulator/hosts/simulated-hosts.js';
import { testHostSpec, waitForTestSsh } from '../../support/sim-hosts.js';
import { waitFor } from '../../support/wait-for.js';

const sshPort = 2222;
const remote = fromSsh2({ logger: createSilentLogger() });
const target = (spec: HostSpec, extra: Partial<SshTarget> = {}): SshTarget => ({
  host: spec.address,
  port: sshPort,
  username: 'root',
  password: spec.adminPass,
  readyTimeoutMs: 5_000,
  ...extra,
});
const ready = (spec: HostSpec, extra: Partial<SshTarget> = {}) =>
  waitForTestSsh(remote, target(spec, extra));

let dataDir: string;
let hosts: SimulatedHosts;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'kgd-hosts-'));
  hosts = createSimulatedHosts({ dataDir, sshPort, logger: createSilentLogger() });
});

afterAll(async () => {
  await hosts?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('simulated hosts', () => {
  it('refuses SSH while booting, then accepts the admin password and runs commands as root', async () => {
    const spec = testHostSpec('boot', { bootDelayMs: 600 });
    await hosts.start(spec);
    expect(hosts.describe('boot').state).toBe('booting');
    const refused = remote.connect(target(spec));
    await expect(refused).rejects.toMatchObject({ name: 'SshUnreachable', reason: 'refused' });
    await expect(refused).rejects.toBeInstanceOf(Retryable);
    const session = await ready(spec);
    expect(hosts.describe('boot').state).toBe('running');
    expect(session.hostKey).toBe(hosts.describe('boot').hostKeyFingerprint);
    const run = await session.exec('id -u; pwd; echo "$SSH_CONNECTION" | cut -d" " -f3');
    expect(run).toMatchObject({ exitCode: 0, stdout: `0\n/root\n${spec.privateIp}\n` });
    await session.close();
  });

  it('rejects a wrong password for good, accepts authorized keys and a reset password', async () => {
    const keys = ssh2.utils.generateKeyPairSync('ed25519');
    const spec = testHostSpec('auth', { authorizedKeys: [keys.public] });
    await hosts.start(spec);
    await (await ready(spec)).close();
    const wrong = ready(spec, { password: 'not-it' });
    await expect(wrong).rejects.toMatchObject({ name: 'SshAuthFailed' });
    await expect(wrong).rejects.toBeInstanceOf(Permanent);
    const byKey = await remote.connect(
      target(spec, { password: undefined, privateKey: keys.private }),
    );
    expect((await byKey.exec('whoami')).stdout).toBe('root\n');
    await byKey.close();
    await hosts.setPassword('auth', 'Reset-Pass-2026');
    await expect(remote.connect(target(spec))).rejects.toMatchObject({ name: 'SshAuthFailed' });
    await (await remote.connect(target(spec, { password: 'Reset-Pass-2026' }))).close();
  });

  it('copies the image and runs user data once, at first boot', async () => {
    const image = path.join(dataDir, 'image');
    await mkdir(path.join(image, 'opt/app'), { recursive: true });
    await writeFile(path.join(image, 'opt/app/version'), '1.2.3\n');
    const spec = testHostSpec('first-boot', {
      image: { id: 'app-image', filesDir: image },
      userData: '#!/bin/bash\necho "boot $(hostname)" >> /root/user-data.log\necho configured\n',
    });
    await hosts.start(spec);
    const session = await ready(spec);
    expect((await session.exec('cat /opt/app/version')).stdout).toBe('1.2.3\n');
    const log = () => session.exec('cat /root/user-data.log').then((r) => r.exitCode === 0 && r);
    expect((await waitFor('user data', log)).stdout).toBe('boot ecs-first-boot\n');
    const output = await session.exec('cat /var/log/cloud-init-output.log');
    expect(output.stdout).toBe('configured\n');
    await session.close();

    await hosts.reboot('first-boot');
    const again = await ready(spec, { expectedHostKey: session.hostKey });
    expect((await again.exec('cat /root/user-data.log')).stdout).toBe('boot ecs-first-boot\n');
    await again.close();
  });

  it('stop kills everything and refuses SSH; start keeps the disk and the host key', async () => {
    const spec = testHostSpec('power');
    await hosts.start(spec);
    const session = await ready(spec);
    await session.exec('echo kept > /root/kept.txt; touch /run/volatile /tmp/survives');
    const running = session.exec('sleep 60').catch((error: unknown) => error);
    await waitFor('sleep started', async () => {
      const ps = await remote.connect(target(spec)).then(async (s) => {
        const r = await s.exec('ps -e -o args=');
        await s.close();
        return r.stdout;
      });
      return ps.includes('sleep 60');
    });

    await hosts.stop('power');
    expect(hosts.describe('power').state).toBe('stopped');
    expect(await running).toMatchObject({ name: 'SshConnectionLost' });
    expect(await running).toBeInstanceOf(Retryable);
    await expect(remote.connect(target(spec))).rejects.toMatchObject({ reason: 'refused' });

    await hosts.start(spec);
    const back = await ready(spec, { expectedHostKey: session.hostKey });
    const after = await back.exec(
      'cat /root/kept.txt; ls /run; ls /tmp; ps -e -o args= | grep -c "[s]leep 60"',
    );
    expect(after.stdout).toBe('kept\nsurvives\n0\n');
    await back.close();
  });

  it('rebuild reinstalls with a new host key, which pinned clients reject', async () => {
    const spec = testHostSpec('rebuild');
    await hosts.start(spec);
    const first = await ready(spec);
    await first.exec('touch /root/old-install');
    await first.close();
    await hosts.rebuild('rebuild', spec);
    const newKey = hosts.describe('rebuild').hostKeyFingerprint;
    expect(newKey).not.toBe(first.hostKey);
    const pinned = ready(spec, { expectedHostKey: first.hostKey });
    await expect(pinned).rejects.toMatchObject({
      name: 'HostKeyMismatch',
      expected: first.hostKey,
      presented: newKey,
    });
    await expect(pinned).rejects.toBeInstanceOf(Permanent);
    const fresh = await ready(spec, { expectedHostKey: newKey });
    expect((await fresh.exec('ls /root')).stdout).toBe('');
    await fresh.close();
  });

  it('destroy wipes the disk and the machine is gone', async () => {
    const spec = testHostSpec('doomed');
    await hosts.start(spec);
    await (await ready(spec)).close();
    const disk = hosts.describe('doomed').diskPath!;
    expect(existsSync(disk)).toBe(true);
    await hosts.destroy('doomed');
    expect(existsSync(path.dirname(disk))).toBe(false);
    expect(hosts.describe('doomed')).toMatchObject({ state: 'absent', diskPath: undefined });
    await expect(remote.connect(target(spec))).rejects.toMatchObject({ reason: 'refused' });
    expect(hosts.list().map((h) => h.serverId)).not.toContain('doomed');
  });

  it('refuses SSH for a while, and drops connections at the configured rate', async () => {
    const spec = testHostSpec('faulty');
    await hosts.start(spec);
    await (await ready(spec)).close();
    const until = new Date(Date.now() + 700);
    hosts.refuseSshUntil('*', until);
    await waitFor('refusal', async () =>
      remote.connect(target(spec)).then(
        (s) => s.close().then(() => false),
        (e) => e.reason === 'refused',
      ),
    );
    const session = await ready(spec);
    expect(Date.now()).toBeGreaterThanOrEqual(until.getTime());
    await session.close();

    hosts.setSshDropRate(1);
    const dropped = remote.connect(target(spec));
    await expect(dropped).rejects.toMatchObject({ name: 'SshUnreachable' });
    await expect(dropped).rejects.toBeInstanceOf(Retryable);
    hosts.setSshDropRate(0);
    await (await remote.connect(target(spec))).close();
  });

  it('names the bad field of an invalid spec', async () => {
    await expect(hosts.start(testHostSpec('../escape'))).rejects.toThrow(/serverId/);
    await expect(hosts.start(testHostSpec('bad-ip', { address: '10.0.0.1' }))).rejects.toThrow(
      /address: expected a loopback address/,
    );
    expect(() => hosts.setSshDropRate(2)).toThrow(/rate/);
  });
});

describe('closing the simulated hosts', () => {
  it('releases every process, mount, listener and directory', async () => {
    const ownDir = await mkdtemp(path.join(tmpdir(), 'kgd-hosts-close-'));
    const own = createSimulatedHosts({ dataDir: ownDir, sshPort, logger: createSilentLogger() });
    const spec = testHostSpec('closing');
    await own.start(spec);
    await (await ready(spec)).close();
    await own.close();

    expect(existsSync(path.join(ownDir, 'hosts'))).toBe(false);
    await expect(remote.connect(target(spec))).rejects.toMatchObject({ reason: 'refused' });
    expect(await readFile('/proc/mounts', 'utf8')).not.toContain(ownDir);
    const leftovers: string[] = [];
    for (const pid of await readdir('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      if (cmdline.includes(ownDir)) leftovers.push(pid);
    }
    expect(leftovers).toEqual([]);
    await rm(ownDir, { recursive: true, force: true });
  });
});
