import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import type { Connection, ServerChannel } from 'ssh2';
import { killTree } from './process-tree.js';
import type { Sandbox } from './sandbox.js';
import { serveSftp } from './sftp-server.js';

export interface SessionContext {
  /** The running machine, or undefined once it powered off. */
  sandbox(): Sandbox | undefined;
  privateIp: string;
  clientIp: string;
  clientPort: number;
}

// Debian's sshd_config: AcceptEnv LANG LC_*. Anything else must travel in the command.
const acceptedEnv = /^(LANG|LC_[A-Z_]+)$/;

/** root's PATH on a Debian image. */
export const rootPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The environment sshd gives root's commands on a Debian image. */
function loginEnv(ctx: SessionContext, requested: Record<string, string>): Record<string, string> {
  return {
    PATH: rootPath,
    HOME: '/root',
    USER: 'root',
    LOGNAME: 'root',
    SHELL: '/bin/bash',
    MAIL: '/var/mail/root',
    LANG: 'C.UTF-8',
    SSH_CLIENT: `${ctx.clientIp} ${ctx.clientPort} 22`,
    SSH_CONNECTION: `${ctx.clientIp} ${ctx.clientPort} ${ctx.privateIp} 22`,
    ...requested,
  };
}

/**
 * Runs one exec request the way sshd does: `bash -c` in root's home, stdin/stdout/stderr on the
 * channel, the exit status (or signal) reported once the command's output is fully drained.
 */
function runExec(
  channel: ServerChannel,
  sandbox: Sandbox,
  command: string,
  env: Record<string, string>,
): ChildProcess {
  const child = sandbox.spawn(
    ['/bin/sh', '-c', 'cd "$HOME" 2>/dev/null; exec /bin/bash -c "$1"', 'sh', command],
    env,
  );
  let finished = false;
  const finish = (exit: () => void) => {
    if (finished) return;
    finished = true;
    exit();
    channel.end();
  };
  child.stdin?.on('error', () => {});
  channel.pipe(child.stdin!);
  child.stdout?.pipe(channel, { end: false });
  child.stderr?.pipe(channel.stderr, { end: false });
  child.on('error', (error) =>
    finish(() => {
      channel.stderr.write(`cannot run the command: ${error.message}\n`);
      channel.exit(127);
    }),
  );
  child.on('close', (code, signal) =>
    finish(() =>
      signal ? channel.exit(signal.replace(/^SIG/, ''), false, '') : channel.exit(code ?? 255),
    ),
  );
  // As with sshd, a client that goes away closes the pipes; the command sees EOF or SIGPIPE.
  channel.on('close', () => {
    finished = true;
    child.stdin?.destroy();
    child.stdout?.destroy();
    child.stderr?.destroy();
  });
  return child;
}

/** Serves the sessions of one authenticated connection: exec, env, signal and SFTP. */
export function serveSessions(connection: Connection, ctx: SessionContext): void {
  connection.on('session', (acceptSession) => {
    const session = acceptSession();
    const env: Record<string, string> = {};
    let child: ChildProcess | undefined;

    session.on('env', (accept, reject, info) => {
      if (!acceptedEnv.test(info.key)) return reject?.();
      env[info.key] = info.val;
      accept?.();
    });
    session.on('pty', (_accept, reject) => reject?.());
    session.on('shell', (_accept, reject) => reject?.());
    session.on('signal', (accept, reject, info) => {
      const name = `SIG${info.name}` as NodeJS.Signals;
      if (!(name in constants.signals) || !child?.pid) return reject?.();
      killTree(child.pid, name);
      accept?.();
    });
    session.on('exec', (accept, reject, info) => {
      const sandbox = ctx.sandbox();
      if (!sandbox || child) return reject?.();
      child = runExec(accept(), sandbox, info.command, loginEnv(ctx, env));
    });
    session.on('sftp', (accept, reject) => {
      const sandbox = ctx.sandbox();
      if (!sandbox) return reject?.();
      serveSftp(accept(), sandbox);
    });
  });
}
