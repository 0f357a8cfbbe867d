import net from 'node:net';
import ssh2 from 'ssh2';
import { Cancelled } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import { hostKeyFingerprint } from '../platform/ssh-fingerprint.js';
import { inSpan } from '../platform/tracing.js';
import { checkTarget } from './check-arguments.js';
import { HostKeyMismatch, SshAuthFailed, SshProtocolError, SshUnreachable } from './errors.js';
import {
  defaultReadyTimeoutMs,
  type RemoteHost,
  type RemoteSession,
  type SshTarget,
} from './remote-host.js';
import { createSsh2Session } from './ssh2-session.js';
import { tracedSession } from './traced-session.js';

export interface Ssh2Deps {
  logger: Logger;
}

/**
 * Keepalives find a connection whose server vanished (powered off, EIP moved) within about a
 * minute instead of waiting for TCP to notice.
 */
const keepalive = { intervalMs: 15_000, countMax: 4 };

const socketReasons: Record<string, SshUnreachable['reason']> = {
  ECONNREFUSED: 'refused',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ECONNABORTED: 'reset',
  ETIMEDOUT: 'timeout',
  EHOSTUNREACH: 'network',
  ENETUNREACH: 'network',
  EHOSTDOWN: 'network',
  EADDRNOTAVAIL: 'network',
  ENOTFOUND: 'network',
  EAI_AGAIN: 'network',
};

type Ssh2Error = Error & { level?: string; code?: string };

function classify(
  error: Ssh2Error,
  target: SshTarget,
  endpoint: string,
): SshAuthFailed | SshUnreachable | SshProtocolError {
  if (error.level === 'client-authentication') {
    const methods = [target.password && 'password', target.privateKey && 'key'].filter(Boolean);
    return new SshAuthFailed(
      `${endpoint} rejected the ${methods.join(' and ')} of ${target.username}: check the ` +
        'credentials recorded for this server',
      { cause: error },
    );
  }
  if (error.level === 'client-timeout') {
    return new SshUnreachable(
      'timeout',
      `${endpoint} did not complete the SSH handshake within ${target.readyTimeoutMs ?? defaultReadyTimeoutMs} ms`,
      { cause: error },
    );
  }
  const reason = error.code ? socketReasons[error.code] : undefined;
  if (reason || error.level === 'client-socket' || error.level === 'client-dns') {
    return new SshUnreachable(
      reason ?? 'network',
      `cannot reach sshd on ${endpoint}: ${error.message}`,
      { cause: error },
    );
  }
  return new SshProtocolError(`SSH with ${endpoint} failed: ${error.message}`, { cause: error });
}

async function connectOnce(
  target: SshTarget,
  logger: Logger,
  signal: AbortSignal | undefined,
): Promise<RemoteSession> {
  checkTarget(target);
  const endpoint = `${target.host}:${target.port}`;
  const readyTimeoutMs = target.readyTimeoutMs ?? defaultReadyTimeoutMs;
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    // The TCP connection is ours, so the peer's address is checked before SSH says a word.
    const socket = net.connect({ host: target.host, port: target.port });
    let presented: string | undefined;
    let mismatch = false;
    let settled = false;
    // One deadline for TCP connect, handshake and authentication: a server that accepts and
    // then says nothing is dropped here, whatever ssh2's own timers do.
    const deadline = setTimeout(
      () =>
        fail(
          new SshUnreachable(
            'timeout',
            `${endpoint} did not complete the SSH handshake within ${readyTimeoutMs} ms`,
          ),
        ),
      readyTimeoutMs,
    );
    const onAbort = () => fail(new Cancelled(`connecting to ${endpoint} was cancelled`));
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      settled = true;
      clearTimeout(deadline);
      signal?.removeEventListener('abort', onAbort);
    };
    function fail(error: Error) {
      if (settled) return;
      done();
      client.destroy();
      socket.destroy();
      reject(error);
    }
    if (signal?.aborted) return onAbort();
    client.on('ready', () => {
      if (settled) return void client.destroy();
      done();
      logger.debug({ endpoint, hostKey: presented }, 'ssh session open');
      resolve(createSsh2Session(client, presented!, endpoint, logger, target));
    });
    client.on('error', (error: Ssh2Error) =>
      fail(
        mismatch
          ? new HostKeyMismatch(endpoint, target.expectedHostKey!, presented!)
          : classify(error, target, endpoint),
      ),
    );
    client.on('close', () =>
      fail(
        new SshUnreachable('reset', `${endpoint} closed the connection during the SSH handshake`),
      ),
    );
    socket.once('error', (error: Ssh2Error) => fail(classify(error, target, endpoint)));
    socket.once('connect', () => {
      try {
        target.checkAddress?.(socket.remoteAddress ?? '');
      } catch (error) {
        return fail(error as Error);
      }
      // Commands are small request/reply exchanges: Nagle plus delayed ACKs would add ~40 ms each.
      socket.setNoDelay(true);
      try {
        client.connect({
          sock: socket,
          username: target.username,
          password: target.password,
          privateKey: target.privateKey,
          readyTimeout: readyTimeoutMs,
          keepaliveInterval: keepalive.intervalMs,
          keepaliveCountMax: keepalive.countMax,
          hostVerifier: (key: Buffer) => {
            presented = hostKeyFingerprint(key);
            mismatch = target.expectedHostKey !== undefined && presented !== target.expectedHostKey;
            return !mismatch;
          },
        });
      } catch (error) {
        // ssh2 throws synchronously on an unparsable private key.
        fail(new SshAuthFailed(`privateKey: ${(error as Error).message}`, { cause: error }));
      }
    });
  });
}

/**
 * The real `RemoteHost`: OpenSSH-compatible servers through the ssh2 library.
 *
 * @example
 *   const remote = fromSsh2({ logger });
 *   const session = await waitForSsh(remote, target, { clock, timeoutMs: 300_000, signal });
 */
export function fromSsh2(deps: Ssh2Deps): RemoteHost {
  const logger = deps.logger.child({ component: 'remote' });
  return {
    connect: (target, options) =>
      inSpan(
        'ssh connect',
        {
          'kgd.ssh.endpoint': `${target.host}:${target.port}`,
          'kgd.ssh.user': target.username,
          'kgd.ssh.first_contact': target.expectedHostKey === undefined,
        },
        async () =>
          tracedSession(
            await connectOnce(target, logger, options?.signal),
            `${target.host}:${target.port}`,
          ),
      ),
  };
}
