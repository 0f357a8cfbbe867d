import { Permanent, Retryable } from '../platform/errors.js';
import type { ExecResult } from './remote-host.js';

/**
 * Every failure of the remote port is classified here, once, into the platform's contract: a
 * `Retryable` can succeed later (sshd still booting, a dropped connection, a slow command), a
 * `Permanent` cannot (wrong password, a changed host key, a script that fails). Callers branch
 * with `instanceof`: on `Retryable`/`Permanent`, or on a class below where they must tell one
 * case apart (`SshUnreachable` is "not yet" while waiting for sshd). `code` only labels logs and
 * metrics.
 */

/** No SSH conversation could start: refused, reset, timed out, or no route. Retryable. */
export class SshUnreachable extends Retryable {
  override name = 'SshUnreachable';
  constructor(
    /** refused: the host answers but nothing listens yet; timeout: nothing answers at all. */
    readonly reason: 'refused' | 'timeout' | 'reset' | 'network',
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause, code: `ssh-unreachable-${reason}` });
  }
}

/** The connection broke during an operation. Retryable (the operation may have half-run). */
export class SshConnectionLost extends Retryable {
  override name = 'SshConnectionLost';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause, code: 'ssh-connection-lost' });
  }
}

/** A command was killed at its deadline. Retryable: a slow mirror or a busy machine recovers. */
export class CommandTimedOut extends Retryable {
  override name = 'CommandTimedOut';
  constructor(
    readonly what: string,
    readonly result: ExecResult,
  ) {
    super(`${what} did not finish in time and was killed`, { code: 'command-timeout' });
  }
}

/** An upload whose remote side failed or whose stream broke. Retryable. */
export class TransferFailed extends Retryable {
  override name = 'TransferFailed';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause, code: 'transfer-failed' });
  }
}

/**
 * An upload moved less than the session's minimum throughput over a whole window: the server
 * stopped reading (or never started). Retryable like any transfer failure; the connection is
 * dropped, so nothing of it holds on.
 */
export class TransferStalled extends TransferFailed {
  override name = 'TransferStalled';
}

/**
 * The server refused our credentials, or the private key given cannot be read. Permanent:
 * retrying cannot fix a wrong password or key.
 */
export class SshAuthFailed extends Permanent {
  override name = 'SshAuthFailed';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause, code: 'ssh-auth-failed' });
  }
}

/**
 * The server presented another host key than the one recorded at first contact. Permanent and a
 * security matter: either the server was reinstalled, or someone is in the middle.
 */
export class HostKeyMismatch extends Permanent {
  override name = 'HostKeyMismatch';
  constructor(
    readonly endpoint: string,
    readonly expected: string,
    readonly presented: string,
  ) {
    super(
      `host key of ${endpoint} changed: recorded ${expected}, presented ${presented}. ` +
        'If the server was rebuilt, record the new key deliberately; otherwise treat it as an attack.',
      { code: 'ssh-host-key-mismatch' },
    );
  }
}

/**
 * The SSH conversation failed in a way no retry fixes (no common algorithm, a malformed packet).
 * Permanent.
 */
export class SshProtocolError extends Permanent {
  override name = 'SshProtocolError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause, code: 'ssh-protocol' });
  }
}

/** A command ran and failed. Permanent: the same script on the same machine fails again. */
class CommandFailed extends Permanent {
  override name = 'CommandFailed';
  constructor(
    readonly what: string,
    readonly result: ExecResult,
  ) {
    const status = result.signal ? `signal ${result.signal}` : `exit code ${result.exitCode}`;
    const tail = result.stderr.trim().split('\n').slice(-5).join('\n');
    super(`${what} failed with ${status}${tail ? `: ${tail}` : ''}`, { code: 'command-failed' });
  }
}

/**
 * Turns an unsuccessful `ExecResult` into the matching error, for callers for whom anything but
 * exit code 0 is a failure.
 *
 * @example
 *   requireSuccess('install hook', await session.exec('./install.sh', { timeoutMs }));
 */
export function requireSuccess(what: string, result: ExecResult): ExecResult {
  if (result.timedOut) throw new CommandTimedOut(what, result);
  if (result.exitCode !== 0) throw new CommandFailed(what, result);
  return result;
}
