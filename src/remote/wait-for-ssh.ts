import type { Clock } from '../platform/clock.js';
import { RemoteError, SshUnreachable } from './errors.js';
import type { RemoteSession, SshTarget, WaitForSshOptions } from './remote-host.js';

export interface WaitDeps {
  clock: Clock;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

/**
 * Pauses between attempts. A refused connection means the machine is up and sshd is about to
 * start: poll briskly. A timeout means nothing answers yet (still booting, EIP not bound): back
 * off harder, each attempt already cost a connect timeout.
 */
export const waitBackoff = {
  firstDelayMs: 250,
  refused: { factor: 1.5, maxDelayMs: 2_000 },
  other: { factor: 2, maxDelayMs: 10_000 },
  /** Each pause is shortened by up to this fraction, so many waiters do not poll in step. */
  jitter: 0.2,
  /** An attempt is never given less than this to finish its handshake. */
  minAttemptMs: 1_000,
} as const;

/** The shared retry loop behind `RemoteHost.waitForSsh`, for any `connect`. */
export async function waitForSsh(
  connect: (target: SshTarget) => Promise<RemoteSession>,
  target: SshTarget,
  options: WaitForSshOptions,
  deps: WaitDeps,
): Promise<RemoteSession> {
  const deadline = deps.clock.now().getTime() + options.timeoutMs;
  let delay: number | undefined;
  for (let attempt = 1; ; attempt++) {
    const left = deadline - deps.clock.now().getTime();
    const readyTimeoutMs = Math.min(
      target.readyTimeoutMs ?? 20_000,
      Math.max(left, waitBackoff.minAttemptMs),
    );
    try {
      return await connect({ ...target, readyTimeoutMs });
    } catch (error) {
      if (!(error instanceof RemoteError) || !error.retryable) throw error;
      const remaining = deadline - deps.clock.now().getTime();
      if (remaining <= 0) {
        throw new SshUnreachable(
          error instanceof SshUnreachable ? error.reason : 'timeout',
          `sshd on ${target.host}:${target.port} did not accept a session within ` +
            `${options.timeoutMs} ms (${attempt} attempts); last error: ${error.message}`,
          { cause: error },
        );
      }
      const policy =
        error instanceof SshUnreachable && error.reason === 'refused'
          ? waitBackoff.refused
          : waitBackoff.other;
      delay =
        delay === undefined
          ? waitBackoff.firstDelayMs
          : Math.min(delay * policy.factor, policy.maxDelayMs);
      const jittered = Math.round(delay * (1 - waitBackoff.jitter * deps.random()));
      const delayMs = Math.min(jittered, remaining);
      options.onRetry?.({ attempt, delayMs, error });
      await deps.sleep(delayMs);
    }
  }
}
