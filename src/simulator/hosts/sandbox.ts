import { type ChildProcess, spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import type { Logger } from '../../platform/logger.js';

/**
 * One running machine: a PID 1 in fresh mount, PID, network, UTS and IPC namespaces whose root
 * is built from the host's system directories (read-only) and the machine's own disk. See
 * docs/simulator-hosts.md for the layout and what it proves.
 */
export interface Sandbox {
  /** Host PID of the machine's PID 1. */
  readonly initPid: number;
  /**
   * Runs `argv` inside every namespace of the machine, as its root, in its own host process
   * group (a Ctrl-C meant for the simulator does not reach the machine's commands). The first
   * process is `nsenter`, which re-raises the exit status or signal of the command.
   */
  spawn(argv: string[], env: Record<string, string>): ChildProcess;
  /** A file operation performed by the in-machine agent (see sandbox-agent.mjs). */
  call<T>(op: string, args: Record<string, unknown>): Promise<T>;
  /** Hands an accepted TCP connection to the agent, which joins it to host:port inside. */
  forward(socket: Socket, host: string, port: number): void;
  /** Power off: every process of the machine dies at once; the disk stays. */
  stop(): Promise<void>;
}

export interface SandboxOptions {
  /** Holds `rootfs/` (an empty mount point on the host) for this machine. */
  hostDir: string;
  /** The machine's persistent disk: root, home, opt, srv, var, tmp, mnt. */
  diskDir: string;
  hostname: string;
  privateIp: string;
  logger: Logger;
  /**
   * Only catches a wedged boot (default 60 s). A boot takes half a second on a quiet machine and
   * several seconds on a busy one, and one that overruns is killed: its server never comes up.
   */
  startTimeoutMs?: number;
}

export class AgentError extends Error {
  override name = 'AgentError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const here = (file: string) => new URL(file, import.meta.url);

/** Boots the machine's namespaces and waits until its root is in place. */
export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const rootfs = `${options.hostDir}/rootfs`;
  await mkdir(rootfs, { recursive: true });
  await mkdir(options.diskDir, { recursive: true });
  const [script, agentCode] = await Promise.all([
    readFile(here('./sandbox-init.sh'), 'utf8'),
    readFile(here('./sandbox-agent.mjs'), 'utf8'),
  ]);
  // Node under /usr is visible in the machine as it is; anywhere else it is bind-mounted.
  const node = realpathSync(process.execPath);
  const nodeVisible = node.startsWith('/usr/');
  const unshare = spawn(
    'unshare',
    [
      ...['--mount', '--pid', '--fork', '--net', '--uts', '--ipc', '--', 'bash', '-c', script],
      ...['init', rootfs, options.diskDir, options.hostname, options.privateIp],
      ...(nodeVisible ? [] : [node]),
    ],
    // stdin stays open for the machine's whole life: PID 1 exits when it closes.
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  unshare.stdin.on('error', () => {});
  const initPid = await waitForReady(unshare, options.startTimeoutMs ?? 60_000);
  const log = options.logger.child({ initPid });
  let stopped = false;
  const exited = new Promise<void>((resolve) => {
    if (unshare.exitCode !== null || unshare.signalCode !== null) resolve();
    else unshare.once('exit', () => resolve());
  });
  exited.then(() => {
    if (!stopped) log.warn('the machine died: its PID 1 exited');
  });
  const nsenter = (withPid: boolean, argv: string[]) => [
    '--target',
    String(initPid),
    '--mount',
    '--uts',
    '--ipc',
    '--net',
    ...(withPid ? ['--pid'] : []),
    '--root',
    '--wd',
    '--',
    ...argv,
  ];
  const agent = createAgentLink(() =>
    spawn(
      'nsenter',
      nsenter(false, [nodeVisible ? node : '/.kgd-node', '--input-type=module', '-e', agentCode]),
      {
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        serialization: 'advanced',
      },
    ),
  );
  return {
    initPid,
    spawn(argv, env) {
      return spawn('nsenter', nsenter(true, argv), { env, detached: true, stdio: 'pipe' });
    },
    call: (op, args) => agent.call(op, args),
    forward: (socket, host, port) => agent.forward(socket, host, port),
    async stop() {
      if (stopped) return exited;
      stopped = true;
      agent.close();
      try {
        process.kill(initPid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      await exited;
      log.debug('machine powered off');
    },
  };
}

function waitForReady(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`machine did not boot within ${timeoutMs} ms: ${stderr.trim()}`));
    }, timeoutMs);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const match = /^ready (\d+)$/.exec(line);
      if (!match) return;
      clearTimeout(timer);
      lines.close();
      resolve(Number(match[1]));
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot start the machine (is util-linux installed?): ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`machine failed to boot (${signal ?? code}): ${stderr.trim()}`));
    });
  });
}

interface AgentLink {
  call<T>(op: string, args: Record<string, unknown>): Promise<T>;
  forward(socket: Socket, host: string, port: number): void;
  close(): void;
}

interface AgentReply {
  id?: number;
  ready?: boolean;
  ok?: boolean;
  value?: unknown;
  code?: string;
  message?: string;
}

/**
 * Starts the agent on first use and again after it died (it only dies with the machine, or if
 * the host kills it); calls in flight when it dies fail with EIO, as a crashed sftp-server would.
 */
function createAgentLink(start: () => ChildProcess): AgentLink {
  let child: ChildProcess | undefined;
  let ready: Promise<ChildProcess> | undefined;
  let nextId = 1;
  let closed = false;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  const ensure = (): Promise<ChildProcess> => {
    if (closed) return Promise.reject(new AgentError('EIO', 'machine is powered off'));
    if (ready) return ready;
    const proc = start();
    child = proc;
    ready = new Promise((resolve, reject) => {
      let stderr = '';
      proc.stderr?.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-2000);
      });
      proc.on('message', (reply: AgentReply) => {
        if (reply.ready) return resolve(proc);
        const waiter = reply.id === undefined ? undefined : pending.get(reply.id);
        if (!waiter || reply.id === undefined) return;
        pending.delete(reply.id);
        if (reply.ok) waiter.resolve(reply.value);
        else waiter.reject(new AgentError(reply.code ?? 'EIO', reply.message ?? 'failed'));
      });
      proc.once('exit', () => {
        if (child === proc) {
          child = undefined;
          ready = undefined;
        }
        for (const waiter of pending.values()) waiter.reject(new AgentError('EIO', 'agent exited'));
        pending.clear();
        reject(new AgentError('EIO', `agent failed to start: ${stderr.trim()}`));
      });
    });
    return ready;
  };

  return {
    async call<T>(op: string, args: Record<string, unknown>): Promise<T> {
      const proc = await ensure();
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        proc.send({ ...args, op, id });
      });
    },
    forward(socket, host, port) {
      ensure().then(
        (proc) => proc.send({ op: 'forward', host, port }, socket),
        () => socket.resetAndDestroy(),
      );
    },
    close() {
      closed = true;
      child?.kill('SIGKILL');
    },
  };
}
