import type { ExecResult } from './remote-host.js';

/**
 * Every failure of the remote port is one of these. `retryable` is decided here, where the
 * failure is understood: a workflow retries what can succeed later (sshd still booting, a dropped
 * connection) and stops at once on what cannot (wrong password, a changed host key).
 */
export class RemoteError extends Error {
  override name = 'RemoteError';
  constructor(
    readonly kind:
      | 'auth-failed'
      | 'unreachable'
      | 'host-key-mismatch'
      | 'connection-lost'
      | 'protocol'
      | 'command-failed'
      | 'command-timeout'
      | 'transfer-failed',
    readonly retryable: boolean,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The server refused our credentials. Permanent: retrying cannot fix a wrong password or key. */
export class SshAuthFailed extends RemoteError {
  override name = 'SshAuthFailed';
  constructor(message: string, options?: { cause?: unknown }) {
    super('auth-failed', false, message, options);
  }
}

/** No SSH conversation could start: refused, reset, timed out, or no route. Retryable. */
export class SshUnreachable extends RemoteError {
  override name = 'SshUnreachable';
  constructor(
    /** refused: the host answers but nothing listens yet; timeout: nothing answers at all. */
    readonly reason: 'refused' | 'timeout' | 'reset' | 'network',
    message: string,
    options?: { cause?: unknown },
  ) {
    super('unreachable', true, message, options);
  }
}

/**
 * The server presented another host key than the one recorded at first contact. Permanent and a
 * security matter: either the server was reinstalled, or someone is in the middle.
 */
export class HostKeyMismatch extends RemoteError {
  override name = 'HostKeyMismatch';
  constructor(
    readonly endpoint: string,
    readonly expected: string,
    readonly presented: string,
  ) {
    super(
      'host-key-mismatch',
      false,
      `host key of ${endpoint} changed: recorded ${expected}, presented ${presented}. ` +
        'If the server was rebuilt, record the new key deliberately; otherwise treat it as an attack.',
    );
  }
}

/** The connection broke during an operation. Retryable (the operation may have half-run). */
export class SshConnectionLost extends RemoteError {
  override name = 'SshConnectionLost';
  constructor(message: string, options?: { cause?: unknown }) {
    super('connection-lost', true, message, options);
  }
}

/** A command ran and failed. Permanent: the same script on the same machine fails again. */
export class CommandFailed extends RemoteError {
  override name = 'CommandFailed';
  constructor(
    readonly what: string,
    readonly result: ExecResult,
  ) {
    const status = result.signal ? `signal ${result.signal}` : `exit code ${result.exitCode}`;
    const tail = result.stderr.trim().split('\n').slice(-5).join('\n');
    super('command-failed', false, `${what} failed with ${status}${tail ? `: ${tail}` : ''}`);
  }
}

/** A command was killed at its deadline. Retryable: a slow mirror or a busy machine recovers. */
export class CommandTimedOut extends RemoteError {
  override name = 'CommandTimedOut';
  constructor(
    readonly what: string,
    readonly result: ExecResult,
  ) {
    super('command-timeout', true, `${what} did not finish in time and was killed`);
  }
}

/** An upload or download whose checksum did not match, or whose remote side failed. Retryable. */
export class TransferFailed extends RemoteError {
  override name = 'TransferFailed';
  constructor(message: string, options?: { cause?: unknown }) {
    super('transfer-failed', true, message, options);
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
