import { createHash, randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { Clock } from '../../../src/platform/clock.js';
import { Cancelled } from '../../../src/platform/errors.js';
import {
  checkEnv,
  checkMode,
  checkRemotePath,
  checkTarget,
} from '../../../src/remote/check-arguments.js';
import {
  HostKeyMismatch,
  SshAuthFailed,
  SshConnectionLost,
  SshUnreachable,
  TransferFailed,
} from '../../../src/remote/errors.js';
import { createOutputCapture } from '../../../src/remote/output-capture.js';
import {
  defaultReadyTimeoutMs,
  type ExecOptions,
  type ExecResult,
  type RemoteHost,
  type RemoteSession,
  type SshTarget,
  type UploadResult,
} from '../../../src/remote/remote-host.js';
import { createManualClock } from './manual-clock.js';

/** A command as the fake received it. */
interface FakeCommand {
  command: string;
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
  stdin?: string;
  /** When it started, on the fake clock. */
  at: Date;
}

/**
 * How a scripted command answers. Its output is written as it starts; it then runs `durationMs`
 * on the clock (0 by default). A command that runs past its `timeoutMs` is killed there, as the
 * real adapter does: `timedOut: true`, signal KILL. `hang` never finishes: it is killed at its
 * timeout, or runs until the session closes or drops (the call fails with `SshConnectionLost`).
 */
export interface FakeReply {
  exitCode?: number;
  signal?: string;
  stdout?: string;
  stderr?: string;
  durationMs?: number;
  hang?: boolean;
}

interface FakeFile {
  content: Buffer;
  mode: number;
}

/** An upload as the fake received it, transferred or skipped. */
interface FakeUpload extends UploadResult {
  remotePath: string;
  mode: number;
  at: Date;
}

type FakeUnreachable = SshUnreachable['reason'];

interface FakeMachine {
  readonly endpoint: string;
  /** The current host key; `rotateHostKey` changes it. */
  readonly hostKey: string;
  password?: string;
  /** Private keys this machine accepts (compared as given). */
  privateKeys: string[];
  /** The machine's files by absolute path: what uploads left, and what a test puts there. */
  files: Map<string, FakeFile>;
  /** Every command run, in order. */
  readonly commands: FakeCommand[];
  /** Every upload, transferred or skipped, in order. */
  readonly uploads: FakeUpload[];
  /** Sessions connected and not yet closed or dropped. */
  readonly openSessions: number;
  /** Scripts the answer to matching commands; the latest matching script wins. Default: exit 0. */
  onExec(match: string | RegExp, reply: FakeReply | ((cmd: FakeCommand) => FakeReply)): void;
  /**
   * The next `count` connection attempts fail (after any already scripted): `refused` at once,
   * as while sshd starts; `timeout` after the attempt's `readyTimeoutMs` on the clock, as while
   * the machine boots.
   */
  refuseConnections(count: number, reason?: FakeUnreachable): void;
  /** Every connection attempt fails, as `refuseConnections` does, until the clock reaches `at`. */
  unreachableUntil(at: Date, reason?: FakeUnreachable): void;
  /** A rebuilt server: a new host key, which pinned clients must reject. Returns it. */
  rotateHostKey(): string;
  /** Breaks every open session: in-flight and later calls fail with `SshConnectionLost`. */
  dropSessions(): void;
}

interface FakeMachineOptions {
  host: string;
  port?: number;
  /** The only user accepted; root by default. */
  username?: string;
  password?: string;
  privateKeys?: string[];
  /** Directories uploads cannot write into (`TransferFailed`); `/usr`, `/proc`, `/sys` by default. */
  readOnly?: string[];
}

export interface FakeRemote extends RemoteHost {
  /** The clock the fake's durations and timeouts run on (to hand to `waitForSsh` as well). */
  readonly clock: Clock;
  addMachine(options: FakeMachineOptions): FakeMachine;
  machine(host: string, port?: number): FakeMachine;
  /** Every connection attempt, in order. */
  readonly attempts: {
    host: string;
    port: number;
    username: string;
    readyTimeoutMs: number;
    at: Date;
  }[];
}

const fakeHostKey = () => `SHA256:${randomBytes(32).toString('base64').replace(/=+$/, '')}`;
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/**
 * The typed in-memory `RemoteHost` for unit tests of code that deploys over SSH, held to the real
 * adapter's behaviour by test/contract/remote-host.contract.ts. Time passes on its clock only
 * (by default its own auto-advancing manual clock): pass the same clock to `waitForSsh` and the
 * code under test, and a day of waiting runs in milliseconds.
 *
 * @example
 *   const clock = createManualClock({ auto: true });
 *   const remote = createFakeRemote({ clock });
 *   const vm = remote.addMachine({ host: '10.0.0.5', password: 'pw' });
 *   vm.refuseConnections(3);
 *   vm.onExec(/install\.sh/, { stdout: 'installed\n', durationMs: 90_000 });
 *   await deploy({ remote, clock });
 *   expect(vm.commands.map((c) => c.command)).toContain('./install.sh');
 *   expect(vm.uploads.map((u) => [u.remotePath, u.skipped])).toEqual([['/opt/app/pkg.tgz', false]]);
 */
export function createFakeRemote(deps: { clock?: Clock } = {}): FakeRemote {
  const clock = deps.clock ?? createManualClock({ auto: true });
  const machines = new Map<string, InternalMachine>();
  const attempts: FakeRemote['attempts'] = [];

  async function connect(
    target: SshTarget,
    options: { signal?: AbortSignal } = {},
  ): Promise<RemoteSession> {
    checkTarget(target);
    if (options.signal?.aborted) throw new Cancelled(`connecting to ${target.host} was cancelled`);
    const endpoint = `${target.host}:${target.port}`;
    const readyTimeoutMs = target.readyTimeoutMs ?? defaultReadyTimeoutMs;
    attempts.push({
      host: target.host,
      port: target.port,
      username: target.username,
      readyTimeoutMs,
      at: clock.now(),
    });
    // The fake has no DNS: the address the socket would reach is the host given.
    target.checkAddress?.(target.host);
    const machine = machines.get(endpoint);
    const failure = machine ? machine.nextFailure() : 'timeout';
    if (failure === 'timeout') {
      await clock.sleep(readyTimeoutMs, options.signal);
      throw new SshUnreachable(
        'timeout',
        `${endpoint} did not complete the SSH handshake within ${readyTimeoutMs} ms (fake)`,
      );
    }
    if (failure) {
      throw new SshUnreachable(failure, `cannot reach sshd on ${endpoint}: ${failure} (fake)`);
    }
    const vm = machine!;
    if (target.expectedHostKey && target.expectedHostKey !== vm.hostKey) {
      throw new HostKeyMismatch(endpoint, target.expectedHostKey, vm.hostKey);
    }
    const passwordOk = target.password !== undefined && target.password === vm.password;
    const keyOk =
      target.privateKey !== undefined && vm.privateKeys.includes(String(target.privateKey));
    if (target.username !== vm.username || !(passwordOk || keyOk)) {
      throw new SshAuthFailed(`${endpoint} rejected the credentials of ${target.username} (fake)`);
    }
    return openSession(vm, clock);
  }

  return {
    clock,
    connect,
    addMachine(options) {
      const machine = createMachine(options, clock);
      machines.set(machine.endpoint, machine);
      return machine;
    },
    machine(host, port = 22) {
      const found = machines.get(`${host}:${port}`);
      if (!found) throw new Error(`no fake machine at ${host}:${port}`);
      return found;
    },
    attempts,
  };
}

interface InternalMachine extends FakeMachine {
  readonly username: string;
  readonly readOnly: string[];
  /** Drops of the open sessions, each removed when its session ends. */
  readonly sessions: Set<() => void>;
  /** Why the next attempt fails, if it does; consumes a scripted failure. */
  nextFailure(): FakeUnreachable | undefined;
  reply(cmd: FakeCommand): FakeReply;
}

function createMachine(options: FakeMachineOptions, clock: Clock): InternalMachine {
  const scripts: [string | RegExp, FakeReply | ((cmd: FakeCommand) => FakeReply)][] = [];
  const failures: FakeUnreachable[] = [];
  let downUntil: { at: number; reason: FakeUnreachable } | undefined;
  let hostKey = fakeHostKey();
  const sessions = new Set<() => void>();
  return {
    endpoint: `${options.host}:${options.port ?? 22}`,
    get hostKey() {
      return hostKey;
    },
    username: options.username ?? 'root',
    password: options.password,
    privateKeys: options.privateKeys ?? [],
    readOnly: options.readOnly ?? ['/usr', '/proc', '/sys'],
    files: new Map(),
    commands: [],
    uploads: [],
    sessions,
    get openSessions() {
      return sessions.size;
    },
    onExec(match, reply) {
      scripts.unshift([match, reply]);
    },
    refuseConnections(count, reason = 'refused') {
      for (let i = 0; i < count; i++) failures.push(reason);
    },
    unreachableUntil(at, reason = 'refused') {
      downUntil = { at: at.getTime(), reason };
    },
    rotateHostKey() {
      hostKey = fakeHostKey();
      return hostKey;
    },
    dropSessions() {
      for (const drop of [...sessions]) drop();
    },
    nextFailure() {
      const scripted = failures.shift();
      if (scripted) return scripted;
      if (downUntil && clock.now().getTime() < downUntil.at) return downUntil.reason;
      return undefined;
    },
    reply(cmd) {
      const found = scripts.find(([m]) =>
        typeof m === 'string' ? cmd.command.includes(m) : m.test(cmd.command),
      );
      if (!found) return {};
      return typeof found[1] === 'function' ? found[1](cmd) : found[1];
    },
  };
}

function openSession(machine: InternalMachine, clock: Clock): RemoteSession {
  // Aborted when the session ends: commands still running fail with `reason`.
  const ended = new AbortController();
  const end = (reason: SshConnectionLost) => {
    if (ended.signal.aborted) return;
    ended.abort(reason);
    machine.sessions.delete(drop);
  };
  const drop = () =>
    end(new SshConnectionLost(`the SSH connection to ${machine.endpoint} dropped`));
  machine.sessions.add(drop);

  const alive = () => {
    if (ended.signal.aborted) {
      throw new SshConnectionLost(`the SSH connection to ${machine.endpoint} is closed`);
    }
  };
  /** Runs `ms` on the clock, failing as the session ends meanwhile. */
  const run = async (ms: number) => {
    if (ms === 0) return;
    try {
      await (ms === Number.POSITIVE_INFINITY
        ? new Promise((_resolve, reject) => {
            ended.signal.addEventListener('abort', reject, { once: true });
          })
        : clock.sleep(ms, ended.signal));
    } catch {
      throw ended.signal.reason as SshConnectionLost;
    }
  };

  const store = (remotePath: string, content: Buffer, mode: number): UploadResult => {
    alive();
    checkRemotePath(remotePath);
    checkMode(mode);
    if (machine.readOnly.some((dir) => remotePath === dir || remotePath.startsWith(`${dir}/`))) {
      throw new TransferFailed(
        `upload of ${remotePath} to ${machine.endpoint} failed (1): read-only file system (fake)`,
      );
    }
    const digest = sha256(content);
    const existing = machine.files.get(remotePath);
    const skipped = existing !== undefined && sha256(existing.content) === digest;
    machine.files.set(remotePath, { content, mode });
    const result = { skipped, bytes: content.length, sha256: digest };
    machine.uploads.push({ ...result, remotePath, mode, at: clock.now() });
    return result;
  };

  return {
    hostKey: machine.hostKey,
    async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
      alive();
      checkEnv(options.env);
      const cmd: FakeCommand = {
        command,
        env: options.env,
        cwd: options.cwd,
        timeoutMs: options.timeoutMs,
        stdin: options.stdin === undefined ? undefined : String(options.stdin),
        at: clock.now(),
      };
      machine.commands.push(cmd);
      const reply = machine.reply(cmd);
      const stdout = createOutputCapture('stdout', options.onOutput);
      const stderr = createOutputCapture('stderr', options.onOutput);
      stdout.push(Buffer.from(reply.stdout ?? ''));
      stderr.push(Buffer.from(reply.stderr ?? ''));
      const duration = reply.hang ? Number.POSITIVE_INFINITY : (reply.durationMs ?? 0);
      const timedOut = options.timeoutMs !== undefined && options.timeoutMs < duration;
      await run(timedOut ? options.timeoutMs! : duration);
      const signal = timedOut ? 'KILL' : (reply.signal ?? null);
      return {
        exitCode: signal ? null : (reply.exitCode ?? 0),
        signal,
        timedOut,
        stdout: stdout.end(),
        stderr: stderr.end(),
      };
    },
    async upload(localPath, remotePath, options = {}) {
      const info = await stat(localPath);
      if (!info.isFile()) throw new Error(`localPath: ${localPath} is not a regular file`);
      return store(remotePath, await readFile(localPath), options.mode ?? info.mode & 0o777);
    },
    async uploadContent(content, remotePath, mode = 0o644) {
      return store(remotePath, Buffer.from(content), mode);
    },
    async close() {
      end(new SshConnectionLost(`the SSH connection to ${machine.endpoint} closed`));
    },
  };
}
