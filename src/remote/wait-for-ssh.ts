import { type Clock, cancelledBy } from '../platform/clock.js';
import { Retryable } from '../platform/errors.js';
import { type PollDelay, pollUntil } from '../platform/poll.js';
import { SshUnreachable } from './errors.js';
import {
  defaultReadyTimeoutMs,
  type RemoteHost,
  type RemoteSession,
  type SshTarget,
} from './remote-host.js';

export interface WaitForSshOptions {
  clock: Clock;
  /** Give up with `SshUnreachable` (a `Retryable`) once this much time has passed. */
  timeoutMs: number;
  /** Aborting it ends the wait at once with `Cancelled`, even in the middle of an attempt. */
  signal?: AbortSignal;
  /** Called before each pause between attempts, with the failure that caused it. */
  onRetry?: (info: { attempt: number; delayMs: number; error: Retryable }) => void;
  /** Source of the jitter, in [0, 1). `Math.random` unless a test pins it. */
  random?: () => number;
}

/**
 * Pauses between attempts. A refused connection means the machine is up and sshd is about to
 * start: poll briskly, at most half a second apart (a refusal costs one round trip, while sshd
 * found late adds half a pause on average to every deploy's time-to-ready). A timeout means
 * nothing answers yet (still booting, EIP not bound): back off harder, each attempt already cost
 * a connect timeout.
 */
export const waitBackoff = {
  firstDelayMs: 250,
  refused: { factor: 1.5, maxDelayMs: 500 },
  other: { factor: 2, maxDelayMs: 10_000 },
  /** Each pause is shortened by up to this fraction, so many waiters do not poll in step. */
  jitter: 0.2,
  /** An attempt is never given less than this to finish its handshake. */
  minAttemptMs: 1_000,
} as const;

/**
 * The one wait for sshd on a new or restarted server: `remote.connect` until a session opens.
 * Retryable failures (refused, timed out, reset, dropped) are "not yet" and retried with the
 * backoff above, each attempt given no more time than is left; permanent ones (wrong
 * credentials, a changed host key) fail at once. At the deadline it fails with `SshUnreachable`
 * naming the attempts and the last error.
 *
 * @example
 *   const session = await waitForSsh(remote, target, { clock, timeoutMs: 300_000, signal,
 *     onRetry: ({ attempt, error }) => attempt % 10 === 1 && log.info(error.message) });
 */
export async function waitForSsh(
  remote: RemoteHost,
  target: SshTarget,
  options: WaitForSshOptions,
): Promise<RemoteSession> {
  const { clock, timeoutMs, signal } = options;
  const random = options.random ?? Math.random;
  const endpoint = `${target.host}:${target.port}`;
  const started = clock.now().getTime();
  let last: { attempt: number; error: Retryable } | undefined;
  let pause: number | undefined;

  const delay: PollDelay = (elapsedMs, attempt) => {
    const error = last!.error;
    const policy =
      error instanceof SshUnreachable && error.reason === 'refused'
        ? waitBackoff.refused
        : waitBackoff.other;
    pause =
      pause === undefined
        ? waitBackoff.firstDelayMs
        : Math.min(pause * policy.factor, policy.maxDelayMs);
    const jittered = Math.round(pause * (1 - waitBackoff.jitter * random()));
    const delayMs = Math.min(jittered, timeoutMs - elapsedMs);
    options.onRetry?.({ attempt, delayMs, error });
    return delayMs;
  };

  const attempt = async (n: number) => {
    if (signal?.aborted) throw cancelledBy(signal);
    const left = timeoutMs - (clock.now().getTime() - started);
    const readyTimeoutMs = Math.min(
      target.readyTimeoutMs ?? defaultReadyTimeoutMs,
      Math.max(left, waitBackoff.minAttemptMs),
    );
    try {
      return await unlessAborted(
        remote.connect({ ...target, readyTimeoutMs }, signal ? { signal } : {}),
        signal,
      );
    } catch (error) {
      if (!(error instanceof Retryable)) throw error;
      last = { attempt: n, error };
      return undefined;
    }
  };

  try {
    return await pollUntil(`sshd on ${endpoint}`, { clock, timeoutMs, signal, delay }, attempt);
  } catch (error) {
    // Attempts swallow every Retryable, so one out of pollUntil is its deadline.
    if (!(error instanceof Retryable) || !last) throw error;
    throw new SshUnreachable(
      last.error instanceof SshUnreachable ? last.error.reason : 'timeout',
      `sshd on ${endpoint} did not accept a session within ${timeoutMs} ms ` +
        `(${last.attempt} attempts); last error: ${last.error.message}`,
      { cause: last.error },
    );
  }
}

/**
 * The attempt, or `Cancelled` as soon as `signal` aborts. An attempt cannot be stopped midway:
 * it runs on, and a session it opens after all is closed unused.
 */
function unlessAborted(
  connecting: Promise<RemoteSession>,
  signal: AbortSignal | undefined,
): Promise<RemoteSession> {
  if (!signal) return connecting;
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      reject(cancelledBy(signal));
      connecting.then(
        (session) => session.close().catch(() => {}),
        () => {},
      );
    };
    signal.addEventListener('abort', onAbort, { once: true });
    connecting.then(
      (session) => {
        signal.removeEventListener('abort', onAbort);
        resolve(session);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
