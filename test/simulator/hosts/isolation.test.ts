import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { get as httpGet } from 'node:http';

import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ssh2, { type SFTPWrapper } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../src/platform/logger.js';
import { fromSsh2 } from '../../../src/remote/from-ssh2.js';
import type { RemoteSession, SshTarget } from '../../../src/remote/remote-host.js';
import { createSimulatedHosts } from '../../../src/simulator/hosts/create-simulated-hosts.js';
import type { HostSpec, SimulatedHosts } from '../../../src/simulator/hosts/simulated-hosts.js';
import { testHostSpec, waitForTestSsh } from '../../support/sim-hosts.js';
import { waitFor } from '../../support/wait-for.js';

const sshPort = 2222;
const remote = fromSsh2({ logger: createSilentLogger() });
const target = (spec: HostSpec): SshTarget => ({
  host: spec.address,
  port: sshPort,
  username: 'root',
  password: spec.adminPass,
  readyTimeoutMs: 5_000,
});

let dataDir: string;
let hosts: SimulatedHosts;
const a = testHostSpec('iso-a');
const b = testHostSpec('iso-b');
let sa: RemoteSession;
let sb: RemoteSession;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'kgd-hosts-'));
  hosts = createSimulatedHosts({ dataDir, sshPort, logger: createSilentLogger() });
  await Promise.all([hosts.start(a), hosts.start(b)]);
  [sa, sb] = await Promise.all([
    waitForTestSsh(remote, target(a)),
    waitForTestSsh(remote, target(b)),
  ]);
});

afterAll(async () => {
  await Promise.all([sa?.close(), sb?.close()]);
  await hosts?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const probe = (otherDisk: string) => `#!/bin/bash
echo "secret of $(hostname)" > /root/secret.txt
for p in /etc/kgd-probe /usr/kgd-probe /usr/lib/kgd-probe /kgd-probe /work/kgd-probe ${dataDir}/kgd-probe; do
  if touch "$p" 2>/dev/null; then echo "WROTE $p"; fi
done
echo "ROOT $(ls / | tr '\\n' ' ')"
find / -path /proc -prune -o -name secret.txt -print 2>/dev/null | sed 's/^/FOUND /'
cat ${otherDisk}/root/secret.txt 2>/dev/null && echo "READ OTHER"
ls ${dataDir} >/dev/null 2>&1 && echo "SEES DATA DIR"
echo "PROCS $(ps -e -o comm= | sort -u | tr '\\n' ' ')"
`;

describe('the sandbox of a simulated machine', () => {
  it('confines each machine to its own files and processes, with the system read-only', async () => {
    const diskA = hosts.describe('iso-a').diskPath!;
    const diskB = hosts.describe('iso-b').diskPath!;
    await sa.uploadContent(probe(diskB), '/root/probe.sh', 0o755);
    await sb.uploadContent(probe(diskA), '/root/probe.sh', 0o755);
    const [ra, rb] = await Promise.all([sa.exec('/root/probe.sh'), sb.exec('/root/probe.sh')]);

    for (const run of [ra, rb]) {
      expect(run.exitCode).toBe(0);
      const lines = run.stdout.trim().split('\n');
      expect(lines.filter((l) => l.startsWith('WROTE'))).toEqual([]);
      expect(lines).not.toContain('READ OTHER');
      expect(lines).not.toContain('SEES DATA DIR');
      expect(lines.filter((l) => l.startsWith('FOUND'))).toEqual(['FOUND /root/secret.txt']);
      const root = lines
        .find((l) => l.startsWith('ROOT'))!
        .split(' ')
        .slice(1)
        .filter(Boolean);
      expect(root).not.toContain('work');
      expect(root).toEqual(expect.arrayContaining(['etc', 'opt', 'root', 'tmp', 'usr', 'var']));
      // Only the machine's own processes: its PID 1 shell, the probe and the tools it runs.
      const procs = lines
        .find((l) => l.startsWith('PROCS'))!
        .split(' ')
        .slice(1)
        .filter(Boolean);
      expect(procs).not.toContain('node');
      expect(
        procs.filter((p) => !['bash', 'sh', 'probe.sh', 'ps', 'sort', 'tr'].includes(p)),
      ).toEqual([]);
    }
    // What each wrote landed on its own disk, and nowhere on the host.
    expect(await readFile(`${diskA}/root/secret.txt`, 'utf8')).toBe('secret of ecs-iso-a\n');
    expect(await readFile(`${diskB}/root/secret.txt`, 'utf8')).toBe('secret of ecs-iso-b\n');
    for (const p of ['/etc/kgd-probe', '/usr/kgd-probe', '/kgd-probe', `${dataDir}/kgd-probe`]) {
      expect(existsSync(p)).toBe(false);
    }
  });

  it('gives each machine its own host name, network and private IP', async () => {
    const show = 'hostname; ip -4 -o addr show eth0 | awk "{print \\$4}"';
    const [ra, rb] = await Promise.all([sa.exec(show), sb.exec(show)]);
    expect(ra.stdout).toBe(`ecs-iso-a\n${a.privateIp}/24\n`);
    expect(rb.stdout).toBe(`ecs-iso-b\n${b.privateIp}/24\n`);
  });

  it('serves SFTP inside the machine root, refusing the read-only system and host paths', async () => {
    const client = new ssh2.Client();
    await new Promise<void>((resolve, reject) =>
      client.on('ready', resolve).on('error', reject).connect(target(a)),
    );
    try {
      const sftp = await new Promise<SFTPWrapper>((resolve, reject) =>
        client.sftp((err, s) => (err ? reject(err) : resolve(s))),
      );
      const call = <T>(fn: (cb: (err: Error | null | undefined, v?: T) => void) => void) =>
        new Promise<T>((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v as T))));

      expect(await call<string>((cb) => sftp.realpath('.', cb))).toBe('/root');
      await call((cb) => sftp.mkdir('/srv/drop', cb));
      await call((cb) => sftp.writeFile('/srv/drop/hello.txt', 'hello from sftp', cb));
      await call((cb) => sftp.rename('/srv/drop/hello.txt', '/srv/drop/hi.txt', cb));
      const names = await call<{ filename: string }[]>((cb) => sftp.readdir('/srv/drop', cb));
      expect(names.map((n) => n.filename)).toEqual(['hi.txt']);
      const stats = await call<{ size: number }>((cb) => sftp.stat('/srv/drop/hi.txt', cb));
      expect(stats.size).toBe(15);
      expect((await call<Buffer>((cb) => sftp.readFile('/srv/drop/hi.txt', cb))).toString()).toBe(
        'hello from sftp',
      );
      // A parallel upload of a few MiB arrives intact (checked by the machine's own sha256sum).
      const local = path.join(dataDir, 'blob.bin');
      const blob = randomBytes(3 * 1024 * 1024 + 17);
      await writeFile(local, blob);
      await call((cb) => sftp.fastPut(local, '/srv/drop/blob.bin', cb));
      const sum = await sa.exec('sha256sum /srv/drop/blob.bin');
      expect(sum.stdout.split(' ')[0]).toBe(createHash('sha256').update(blob).digest('hex'));

      await expect(call((cb) => sftp.writeFile('/etc/kgd-sftp', 'x', cb))).rejects.toMatchObject({
        code: 3, // PERMISSION_DENIED: the system is read-only
      });
      const diskB = hosts.describe('iso-b').diskPath!;
      await expect(
        call((cb) => sftp.readFile(`${diskB}/root/secret.txt`, cb)),
      ).rejects.toMatchObject({
        code: 2, // NO_SUCH_FILE: host paths do not exist in here
      });
      // A symlink to / leads to the machine's root, not the host's.
      await sa.exec('ln -sfn / /root/escape');
      const escaped = await call<{ filename: string }[]>((cb) => sftp.readdir('/root/escape', cb));
      expect(escaped.map((n) => n.filename)).not.toContain('work');
      expect(existsSync('/etc/kgd-sftp')).toBe(false);
    } finally {
      client.end();
    }
  });

  it('forwards only the ports the security groups open, each machine with its own ports', async () => {
    const app = `nohup node -e "
      const http = require('http'), os = require('os');
      http.createServer((q, s) => s.end(os.hostname())).listen(8080);
      http.createServer((q, s) => s.end('8081 on ' + os.hostname())).listen(8081);
    " >/dev/null 2>&1 &`;
    await Promise.all([sa.exec(app), sb.exec(app)]);
    // A fresh connection per request (no keep-alive pool to hide a rule change) and a deadline,
    // so a connection that never answers fails this step by name instead of the whole test.
    const get = (spec: HostSpec, port: number) =>
      new Promise<string>((resolve, reject) => {
        const req = httpGet({ host: spec.address, port, path: '/', agent: false, timeout: 5000 });
        req.on('timeout', () => req.destroy(new Error(`no answer from ${spec.address}:${port}`)));
        req.on('error', reject);
        req.on('response', (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            body += chunk;
          });
          res.on('end', () => resolve(body));
          res.on('error', reject);
        });
      });
    // Both machines bind 8080 without conflict: separate network namespaces.
    expect(await waitFor('app on A', () => get(a, 8080))).toBe('ecs-iso-a');
    expect(await waitFor('app on B', () => get(b, 8080))).toBe('ecs-iso-b');

    // 8081 listens inside A but no rule opens it: refused from outside.
    const listening = await sa.exec(
      `node -e "require('net').connect(8081, '${a.privateIp}').on('connect', () => process.exit(0)).on('error', () => process.exit(1))"`,
    );
    expect(listening.exitCode).toBe(0);
    await expect(refused(a.address, 8081)).resolves.toBe(true);

    await hosts.setIngress('iso-a', [
      ...a.ingress,
      { protocol: 'tcp', portMin: 8081, portMax: 8081, remoteIpPrefix: '0.0.0.0/0' },
    ]);
    expect(await get(a, 8081)).toBe('8081 on ecs-iso-a');
    // A rule for another source network does not admit us.
    await hosts.setIngress('iso-a', [
      ...a.ingress,
      { protocol: 'tcp', portMin: 8081, portMax: 8081, remoteIpPrefix: '10.0.0.0/8' },
    ]);
    await expect(get(a, 8081)).rejects.toThrow();
    await hosts.setIngress('iso-a', a.ingress);
    await expect(refused(a.address, 8081)).resolves.toBe(true);
  });
});

function refused(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port, timeout: 5000 });
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });

    socket.on('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}
