/**
 * SSH upload benchmark: a file uploaded through the remote adapter (ssh2, `RemoteSession.upload`,
 * checksum verification included) to a simulated host, and in the same run with OpenSSH `scp` to
 * a real sshd on loopback, alternating, both with aes128-gcm@openssh.com and each run paying its
 * own connection. Prints both throughputs and the ratio (target: ssh2 >= 90% of scp).
 *
 * Needs root and Debian's openssh-server (`apt-get install -y openssh-server`; its service is not
 * used: this script runs its own sshd on 127.0.0.1 with a temporary key and config, in a private
 * mount namespace so that /run/sshd exists without touching the host). Everything started is
 * stopped and every file removed at the end, also on Ctrl-C.
 *
 * Usage: npx tsx scripts/spikes/bench-ssh.ts [--size-mb 200] [--runs 3] [--sshd-port 2200]
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { closeSync, createReadStream, existsSync, openSync, writeSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { systemClock } from '../../src/platform/clock.js';
import { createSilentLogger } from '../../src/platform/logger.js';
import { fromSsh2 } from '../../src/remote/from-ssh2.js';
import type { SshTarget } from '../../src/remote/remote-host.js';
import { waitForSsh } from '../../src/remote/wait-for-ssh.js';
import { createSimulatedHosts } from '../../src/simulator/hosts/create-simulated-hosts.js';

const cipher = 'aes128-gcm@openssh.com';
const hostAddress = '127.20.250.1';
const hostSshPort = 2222;
const hostPassword = 'Bench-Pass-2026';

const { values } = parseArgs({
  options: {
    'size-mb': { type: 'string', default: '200' },
    runs: { type: 'string', default: '3' },
    'sshd-port': { type: 'string', default: '2200' },
    'serve-host': { type: 'string' },
  },
});

if (values['serve-host']) await serveHost(values['serve-host']);
else await main();

/**
 * The simulated host runs in its own process, as sshd does for scp: otherwise the client and
 * the server would share one event loop and the comparison would measure that instead.
 */
async function serveHost(dataDir: string) {
  const hosts = createSimulatedHosts({
    dataDir,
    sshPort: hostSshPort,
    logger: createSilentLogger(),
  });
  await hosts.start({
    serverId: 'bench',
    address: hostAddress,
    privateIp: '192.168.0.10',
    hostname: 'bench',
    adminPass: hostPassword,
    image: { id: 'bench' },
    ingress: [{ protocol: 'tcp', portMin: 22, portMax: 22 }],
    bootDelayMs: 0,
  });
  process.stdout.write('started\n');
  // The parent closes our stdin to stop us (and dies with it if it crashes).
  process.stdin.resume();
  process.stdin.on('end', async () => {
    await hosts.close();
    process.exit(0);
  });
}

async function main() {
  const sizeMb = Number(values['size-mb']);
  const runs = Number(values.runs);
  const sshdPort = Number(values['sshd-port']);
  for (const tool of [
    '/usr/sbin/sshd',
    '/usr/bin/scp',
    '/usr/bin/ssh-keygen',
    '/usr/bin/unshare',
  ]) {
    if (!existsSync(tool)) {
      console.error(`${tool} is missing: apt-get install -y openssh-server util-linux`);
      process.exit(1);
    }
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'kgd-bench-ssh-'));
  const children: ChildProcess[] = [];
  const cleanup = async () => {
    for (const child of children) child.stdin?.end();
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? once(c, 'exit') : undefined)));
    await rm(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    const file = path.join(dir, 'payload.bin');
    writeRandomFile(file, sizeMb);
    const digest = await sha256(file);
    console.log(`payload: ${sizeMb} MiB of random data, sha256 ${digest.slice(0, 16)}...`);

    const key = path.join(dir, 'client_key');
    const sshd = await startSshd(dir, sshdPort, key);
    children.push(sshd);
    const host = spawn(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), '--serve-host', path.join(dir, 'sim')],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    children.push(host);
    await new Promise((resolve, reject) => {
      host.stdout!.once('data', resolve);
      host.once('exit', () => reject(new Error('the simulated host did not start')));
    });

    const remote = fromSsh2({ logger: createSilentLogger() });
    const target: SshTarget = {
      host: hostAddress,
      port: hostSshPort,
      username: 'root',
      password: hostPassword,
    };
    await (await waitForSsh(remote, target, { clock: systemClock, timeoutMs: 10_000 })).close();
    const scpDest = path.join(dir, 'scp-received.bin');
    const scpArgs = [
      ...['-q', '-c', cipher, '-i', key, '-P', String(sshdPort)],
      ...[
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-o',
        'BatchMode=yes',
      ],
      file,
      `root@127.0.0.1:${scpDest}`,
    ];

    const times = { ssh2: [] as number[], scp: [] as number[] };
    for (let run = 1; run <= runs; run++) {
      await rm(scpDest, { force: true });
      times.scp.push(await timed(() => runProcess('scp', scpArgs)));

      const cleanRemote = await remote.connect(target);
      await cleanRemote.exec('rm -f /root/payload.bin');
      await cleanRemote.close();
      times.ssh2.push(
        await timed(async () => {
          const session = await remote.connect(target);
          const result = await session.upload(file, '/root/payload.bin');
          if (result.skipped || result.sha256 !== digest)
            throw new Error('upload did not transfer');
          await session.close();
        }),
      );
      console.log(
        `run ${run}: scp ${rate(sizeMb, times.scp.at(-1)!)}  ssh2 ${rate(sizeMb, times.ssh2.at(-1)!)}`,
      );
    }
    // Both copies are checked once, outside the timings.
    if ((await sha256(scpDest)) !== digest) throw new Error('scp delivered a different file');
    const check = await remote.connect(target);
    const remoteSum = await check.exec('sha256sum /root/payload.bin');
    await check.close();
    if (!remoteSum.stdout.startsWith(digest)) throw new Error('ssh2 delivered a different file');
    const skip = await timed(async () => {
      const session = await remote.connect(target);
      if (!(await session.upload(file, '/root/payload.bin')).skipped) throw new Error('no skip');
      await session.close();
    });

    const best = { scp: Math.min(...times.scp), ssh2: Math.min(...times.ssh2) };
    const median = { scp: mid(times.scp), ssh2: mid(times.ssh2) };
    console.log(
      `\nbest of ${runs}:   scp ${rate(sizeMb, best.scp)}   ssh2 ${rate(sizeMb, best.ssh2)}`,
    );
    console.log(`median:      scp ${rate(sizeMb, median.scp)}   ssh2 ${rate(sizeMb, median.ssh2)}`);
    const ratio = best.scp / best.ssh2;
    console.log(
      `ratio ssh2/scp: ${(ratio * 100).toFixed(0)}% (best), ` +
        `${((median.scp / median.ssh2) * 100).toFixed(0)}% (median); target >= 90%: ` +
        (ratio >= 0.9 ? 'met' : 'NOT met'),
    );
    console.log(`re-upload of the identical file (checksum skip): ${skip.toFixed(0)} ms`);
  } finally {
    await cleanup();
  }
}

function writeRandomFile(file: string, sizeMb: number) {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < sizeMb; i++) writeSync(fd, randomFillSync(chunk));
  closeSync(fd);
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A throwaway sshd on 127.0.0.1 that accepts only the generated client key. */
async function startSshd(dir: string, port: number, clientKey: string): Promise<ChildProcess> {
  if (await accepts(port)) throw new Error(`port ${port} is taken: pass --sshd-port`);
  const hostKey = path.join(dir, 'host_key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', clientKey]);
  const config = path.join(dir, 'sshd_config');
  await writeFile(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${clientKey}.pub`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'Subsystem sftp /usr/lib/openssh/sftp-server',
      '',
    ].join('\n'),
  );
  // sshd insists on /run/sshd; a private tmpfs on /run provides it without touching the host.
  const sshd = spawn(
    'unshare',
    [
      '--mount',
      'sh',
      '-c',
      'mount -n -t tmpfs -o mode=755 tmpfs /run && mkdir -m 755 /run/sshd && exec /usr/sbin/sshd -D -e -f "$0"',
      config,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  sshd.stderr!.on('data', (d) => {
    log += d;
  });
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (sshd.exitCode !== null || Date.now() > deadline)
      throw new Error(`sshd did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return sshd;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

function runProcess(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d) => {
      err += d;
    });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command}: ${err}`))));
  });
}

async function timed(work: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function once(child: ChildProcess, event: 'exit'): Promise<void> {
  return new Promise((resolve) => child.once(event, () => resolve()));
}

function mid(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

function rate(sizeMb: number, ms: number): string {
  return `${(sizeMb / (ms / 1000)).toFixed(0).padStart(4)} MiB/s (${ms.toFixed(0)} ms)`;
}
