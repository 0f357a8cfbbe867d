import { createHash, randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import {
  HostKeyMismatch,
  SshAuthFailed,
  SshConnectionLost,
  SshUnreachable,
  TransferFailed,
} from '../../../src/remote/errors.js';
import { createOutputCapture } from '../../../src/remote/output-capture.js';
import type {
  ExecOptions,
  ExecResult,
  RemoteHost,
  RemoteSession,
  SshTarget,
  UploadResult,
} from '../../../src/remote/remote-host.js';
import { waitForSsh } from '../../../src/remote/wait-for-ssh.js';
import { createManualClock, type ManualClock } from './manual-clock.js';

/** A command as the fake received it. */
export interface FakeCommand {
  command: string;
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
  stdin?: string;
}

/** How a scripted command answers. `hang` never finishes: it times out if given a timeout. */
export interface FakeReply {
  exitCode?: number;
  signal?: string;
  stdout?: string;
  stderr?: string;
  hang?: boolean;
}

export interface FakeFile {
  content: Buffer;
  mode: number;
}

export interface FakeMachine {
  readonly endpoint: string;
  readonly hostKey: string;
  password?: string;
  /** Private keys this machine accepts (compared as given). */
  privateKeys: string[];
  files: Map<string, FakeFile>;
  /** Every command run, in order. */
  commands: FakeCommand[];
  /** Scripts the answer to matching commands; the latest matching script wins. Default: exit 0. */
  onExec(match: string | RegExp, reply: FakeReply | ((cmd: FakeCommand) => FakeReply)): void;
  /** The next `count` connection attempts are refused, as while sshd is still starting. */
  refuseConnections(count: number): void;
  /** A rebuilt server: a new host key, which pinned clients must reject. Returns it. */
  rotateHostKey(): string;
  /** Breaks every open session: in-flight and later calls fail with SshConnectionLost. */
  dropSessions(): void;
}

export interface FakeRemote extends RemoteHost {
  addMachine(options: {
    host: string;
    port?: number;
    password?: string;
    privateKeys?: string[];
  }): FakeMachine;
  machine(host: string, port?: number): FakeMachine;
  /** Every connection attempt, in order. */
  readonly attempts: { host: string; port: number; username: string }[];
}

interface InternalMachine extends FakeMachine {
  hostKey: string;
  sessions: Set<() => void>;
  refusals: number;
  reply(cmd: FakeCommand): FakeReply;
}

const fakeHostKey = () => `SHA256:${randomBytes(32).toString('base64').replace(/=+$/, '')}`;
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/**
 * A typed, in-memory `RemoteHost` for unit tests of code that deploys over SSH. Waiting is
 * instant: `waitForSsh` sleeps on the fake clock (injected or its own).
 *
 * @example
 *   const remote = createFakeRemote();
 *   const vm = remote.addMachine({ host: '10.0.0.5', password: 'pw' });
 *   vm.onExec(/install\.sh/, { exitCode: 0, stdout: 'installed\n' });
 *   vm.refuseConnections(2);
 *   const session = await remote.waitForSsh({ host: '10.0.0.5', port: 22, username: 'root',
 *     password: 'pw' }, { timeoutMs: 60_000 });
 *   expect(vm.commands.map((c) => c.command)).toContain('./install.sh');
 */
export function createFakeRemote(deps: { clock?: ManualClock } = {}): FakeRemote {
  const clock = deps.clock ?? createManualClock();
  const machines = new Map<string, InternalMachine>();
  const attempts: FakeRemote['attempts'] = [];

  function addMachine(options: Parameters<FakeRemote['addMachine']>[0]): FakeMachine {
    const endpoint = `${options.host}:${options.port ?? 22}`;
    const scripts: [string | RegExp, FakeReply | ((cmd: FakeCommand) => FakeReply)][] = [];
    const machine: InternalMachine = {
      endpoint,
      hostKey: fakeHostKey(),
      password: options.password,
      privateKeys: options.privateKeys ?? [],
      files: new Map(),
      commands: [],
      sessions: new Set(),
      refusals: 0,
      onExec(match: string | RegExp, reply: FakeReply | ((cmd: FakeCommand) => FakeReply)) {
        scripts.unshift([match, reply]);
      },
      refuseConnections(count: number) {
        machine.refusals = count;
      },
      rotateHostKey() {
        machine.hostKey = fakeHostKey();
        return machine.hostKey;
      },
      dropSessions() {
        for (const drop of machine.sessions) drop();
        machine.sessions.clear();
      },
      reply(cmd: FakeCommand): FakeReply {
        const found = scripts.find(([m]) =>
          typeof m === 'string' ? cmd.command.includes(m) : m.test(cmd.command),
        );
        if (!found) return {};
        return typeof found[1] === 'function' ? found[1](cmd) : found[1];
      },
    };
    machines.set(endpoint, machine);
    return machine;
  }

  async function connect(target: SshTarget): Promise<RemoteSession> {
    const endpoint = `${target.host}:${target.port}`;
    attempts.push({ host: target.host, port: target.port, username: target.username });
    const machine = machines.get(endpoint);
    if (!machine) throw new SshUnreachable('timeout', `${endpoint} did not answer (fake)`);
    if (machine.refusals > 0) {
      machine.refusals--;
      throw new SshUnreachable('refused', `${endpoint} refused the connection (fake)`);
    }
    if (target.expectedHostKey && target.expectedHostKey !== machine.hostKey) {
      throw new HostKeyMismatch(endpoint, target.expectedHostKey, machine.hostKey);
    }
    const passwordOk = target.password !== undefined && target.password === machine.password;
    const keyOk =
      target.privateKey !== undefined && machine.privateKeys.includes(String(target.privateKey));
    if (target.username !== 'root' || !(passwordOk || keyOk)) {
      throw new SshAuthFailed(`${endpoint} rejected the credentials (fake)`);
    }
    return openSession(machine);
  }

  function openSession(machine: InternalMachine): RemoteSession {
    let lost = false;
    const hanging = new Set<(error: Error) => void>();
    const drop = () => {
      lost = true;
      for (const fail of hanging) fail(new SshConnectionLost(`${machine.endpoint} dropped (fake)`));
    };
    machine.sessions.add(drop);
    const alive = () => {
      if (lost) throw new SshConnectionLost(`the connection to ${machine.endpoint} is closed`);
    };
    const store = (remotePath: string, content: Buffer, mode: number): UploadResult => {
      alive();
      const digest = sha256(content);
      const existing = machine.files.get(remotePath);
      machine.files.set(remotePath, { content, mode });
      return {
        skipped: existing ? sha256(existing.content) === digest : false,
        bytes: content.length,
        sha256: digest,
      };
    };
    return {
      hostKey: machine.hostKey,
      async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
        alive();
        const cmd: FakeCommand = {
          command,
          env: options.env,
          cwd: options.cwd,
          timeoutMs: options.timeoutMs,
          stdin: options.stdin === undefined ? undefined : String(options.stdin),
        };
        machine.commands.push(cmd);
        const reply = machine.reply(cmd);
        if (reply.hang) {
          if (options.timeoutMs !== undefined) {
            return { exitCode: null, signal: 'KILL', timedOut: true, stdout: '', stderr: '' };
          }
          return new Promise((_resolve, reject) => hanging.add(reject));
        }
        const stdout = createOutputCapture('stdout', options.onOutput);
        const stderr = createOutputCapture('stderr', options.onOutput);
        stdout.push(Buffer.from(reply.stdout ?? ''));
        stderr.push(Buffer.from(reply.stderr ?? ''));
        return {
          exitCode: reply.signal ? null : (reply.exitCode ?? 0),
          signal: reply.signal ?? null,
          timedOut: false,
          stdout: stdout.end(),
          stderr: stderr.end(),
        };
      },
      async upload(localPath, remotePath, options = {}) {
        const info = await stat(localPath);
        return store(remotePath, await readFile(localPath), options.mode ?? info.mode & 0o777);
      },
      async uploadContent(content, remotePath, mode = 0o644) {
        return store(remotePath, Buffer.from(content), mode);
      },
      async download(remotePath, localPath) {
        alive();
        const file = machine.files.get(remotePath);
        if (!file)
          throw new TransferFailed(`download of ${remotePath} failed: no such file (fake)`);
        await writeFile(localPath, file.content);
        return { bytes: file.content.length, sha256: sha256(file.content) };
      },
      async close() {
        lost = true;
        machine.sessions.delete(drop);
      },
    };
  }

  return {
    connect,
    waitForSsh: (target, options) =>
      waitForSsh(connect, target, options, {
        clock,
        // Waiting costs no time: the fake clock moves instead.
        sleep: async (ms) => clock.advance(ms),
        random: () => 0.5,
      }),
    addMachine,
    machine(host, port = 22) {
      const found = machines.get(`${host}:${port}`);
      if (!found) throw new Error(`no fake machine at ${host}:${port}`);
      return found;
    },
    attempts,
  };
}
