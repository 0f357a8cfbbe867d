/**
 * Install-phase benchmark: demo-license installed on a fresh simulated server by the remote
 * adapter (ssh2) the way the engine's steps do it, and in the same run by an Ansible playbook doing
 * the same work, alternating, each on its own fresh server:
 *
 *   upload the package archive and unpack it with tar; write the license (0644), its public key
 *   (0644) and .kgd/env (0600); run scripts/install.sh, start.sh and poststart.sh, each with the
 *   env sourced (poststart waits until the app answers /healthz with the license).
 *
 * The adapter opens one SSH session per step, as the engine does (a crash between steps leaves
 * nothing half-open); Ansible uses its defaults plus pipelining: one multiplexed OpenSSH
 * connection (ControlMaster), gather_facts off, `file` and `copy` for directories and files,
 * `shell` for tar and the hooks, files sent with the `piped` transfer method (see below). Its modules need Python on the target: the simulated machine's /usr is the host's
 * (read-only), so Debian's python3 is there, as on the Ubuntu images real products use.
 * Ansible logs in with a key (no sshpass), the adapter with the root password as the engine does.
 * The engine's DBOS checkpoints between steps (~1.5 ms each) are not part of either time.
 *
 * Needs root and Debian's ansible (`apt-get install -y ansible`). Everything started is stopped
 * and every file removed at the end.
 * Usage: npx tsx scripts/spikes/bench-ansible.ts [--runs 5]
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { systemClock } from '../../src/platform/clock.js';
import { createSilentLogger } from '../../src/platform/logger.js';
import { fromSsh2 } from '../../src/remote/from-ssh2.js';
import { waitForSsh } from '../../src/remote/wait-for-ssh.js';
import { createSimulatedHosts } from '../../src/simulator/hosts/create-simulated-hosts.js';
import { type Install, installFiles, machineSpec, playbook } from './bench-ansible/install.js';

const sshPort = 2222;
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    'serve-hosts': { type: 'string' },
    'public-key': { type: 'string' },
  },
});

if (values['serve-hosts']) await serveHosts(values['serve-hosts'], values['public-key']!);
else await main();

/**
 * The machines run in their own process, as sshd does for Ansible: otherwise the adapter and the
 * SSH server would share one event loop and the comparison would measure that instead.
 */
async function serveHosts(dataDir: string, publicKey: string) {
  const hosts = createSimulatedHosts({ dataDir, sshPort, logger: createSilentLogger() });
  const count = Number(values.runs) * 2;
  for (let i = 1; i <= count; i++) await hosts.start(machineSpec(i, publicKey));
  process.stdout.write('started\n');
  process.stdin.resume();
  process.stdin.on('end', async () => {
    await hosts.close();
    process.exit(0);
  });
}

async function main() {
  const runs = Number(values.runs);
  if (!existsSync('/usr/bin/ansible-playbook')) {
    console.log('ansible: not installed (apt-get install -y ansible): skipped');
    process.exit(3);
  }
  const version = execFileSync('ansible-playbook', ['--version'], { encoding: 'utf8' }).split(
    '\n',
  )[0];
  const dir = await mkdtemp(path.join(tmpdir(), 'kgd-bench-ansible-'));
  let host: ChildProcess | undefined;
  const cleanup = async () => {
    host?.stdin?.end();
    if (host && host.exitCode === null) await new Promise((r) => host!.once('exit', r));
    await rm(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    const key = path.join(dir, 'client_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const publicKey = (await readFile(`${key}.pub`, 'utf8')).trim();
    host = spawn(
      process.execPath,
      [
        ...process.execArgv,
        fileURLToPath(import.meta.url),
        ...['--serve-hosts', path.join(dir, 'sim'), '--public-key', publicKey, '--runs', `${runs}`],
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    await new Promise((resolve, reject) => {
      host!.stdout!.once('data', resolve);
      host!.once('exit', () => reject(new Error('the simulated hosts did not start')));
    });
    console.log(
      `install phase of demo-license on a fresh simulated server, ${runs} runs each; ${version}`,
    );
    const remote = fromSsh2({ logger: createSilentLogger() });
    const times = { ssh2: [] as number[], ansible: [] as number[], ansibleEmpty: [] as number[] };
    for (let run = 1; run <= runs; run++) {
      const pair = [machineSpec(2 * run - 1, publicKey), machineSpec(2 * run, publicKey)];
      for (const spec of pair) {
        const ready = await waitForSsh(
          remote,
          { host: spec.address, port: sshPort, username: 'root', password: spec.adminPass },
          { clock: systemClock, timeoutMs: 15_000 },
        );
        await ready.close();
      }
      const files = installFiles(dir, run, pair);
      // Alternate which goes first: the second may find a warmer machine (page cache, JIT).
      const order = run % 2 ? (['ssh2', 'ansible'] as const) : (['ansible', 'ssh2'] as const);
      for (const tool of order) {
        const spec = tool === 'ssh2' ? pair[0]! : pair[1]!;
        const install: Install = files[tool];
        times[tool].push(
          await timed(() =>
            tool === 'ssh2' ? installWithSsh2(remote, spec, install) : ansible(dir, install),
          ),
        );
        await expectHealthy(spec.address, install.licensee);
      }
      times.ansibleEmpty.push(await timed(() => ansible(dir, files.empty)));
      console.log(
        `run ${run}: ssh2 ${secs(times.ssh2.at(-1)!)}  ansible ${secs(times.ansible.at(-1)!)}  (ansible-playbook with no task: ${secs(times.ansibleEmpty.at(-1)!)})`,
      );
    }
    const med = { ssh2: mid(times.ssh2), ansible: mid(times.ansible) };
    console.log(
      `\nmedian install phase: ssh2 ${secs(med.ssh2)}, ansible ${secs(med.ansible)} (of which start-up ${secs(mid(times.ansibleEmpty))}); best: ssh2 ${secs(Math.min(...times.ssh2))}, ansible ${secs(Math.min(...times.ansible))}`,
    );
    console.log(`ratio ansible/ssh2: ${(med.ansible / med.ssh2).toFixed(2)}x (median)`);
  } finally {
    await cleanup();
  }
}

/** The engine's install steps through the remote adapter, one session per step. */
async function installWithSsh2(
  remote: ReturnType<typeof fromSsh2>,
  spec: { address: string; adminPass?: string },
  install: Install,
) {
  const target = { host: spec.address, port: sshPort, username: 'root', password: spec.adminPass };
  const step = async (fn: (s: Awaited<ReturnType<typeof remote.connect>>) => Promise<void>) => {
    const session = await remote.connect(target);
    try {
      await fn(session);
    } finally {
      await session.close();
    }
  };
  const ok = (what: string, r: { exitCode: number | null; stderr: string }) => {
    if (r.exitCode !== 0) throw new Error(`${what} failed (${r.exitCode}): ${r.stderr}`);
  };
  await step(async (s) => {
    await s.upload(install.archive, install.remoteArchive, { mode: 0o600 });
    ok('unpack', await s.exec(install.unpack, { timeoutMs: 60_000 }));
  });
  await step(async (s) => {
    for (const f of install.files) await s.uploadContent(f.content, f.dest, f.mode);
  });
  for (const hook of install.hooks) {
    await step(async (s) => ok(hook.name, await s.exec(hook.command, { timeoutMs: 120_000 })));
  }
}

function ansible(dir: string, install: Install): Promise<void> {
  const book = path.join(dir, `${install.name}.yml`);
  writeFileSync(book, playbook(install));
  const env = {
    ...process.env,
    ANSIBLE_HOME: path.join(dir, 'ansible-home'),
    ANSIBLE_LOCAL_TEMP: path.join(dir, 'ansible-tmp'),
    ANSIBLE_SSH_CONTROL_PATH_DIR: path.join(dir, 'cp'),
    ANSIBLE_PIPELINING: 'True',
    // Ansible's default (sftp, then scp, which OpenSSH 9 also runs over SFTP) hangs on the
    // simulated machines: their SFTP subsystem does not close the channel at the client's EOF,
    // so OpenSSH's sftp never exits. `piped` streams each file through an exec channel, as the
    // adapter's upload does.
    ANSIBLE_SSH_TRANSFER_METHOD: 'piped',
    ANSIBLE_HOST_KEY_CHECKING: 'False',
    ANSIBLE_RETRY_FILES_ENABLED: 'False',
    ANSIBLE_NOCOLOR: '1',
  };
  return new Promise((resolve, reject) => {
    const child = spawn('ansible-playbook', ['-i', install.inventory, book], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`ansible-playbook exited ${code}:\n${out}`)),
    );
  });
}

async function expectHealthy(address: string, licensee: string) {
  const page = await (await fetch(`http://${address}:8080/`)).text();
  if (!page.includes(licensee)) throw new Error(`${address}: the app does not show ${licensee}`);
}

async function timed(work: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function mid(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}
