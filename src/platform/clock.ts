import { Cancelled } from './errors.js';

/**
 * The only source of time: "now" for decisions (signature freshness, leases, license expiry) and
 * `sleep` for every wait (polling, retry backoff, rate limits). Production uses `systemClock`;
 * tests use the manual clock of `test/support/fakes/manual-clock.ts` and move it.
 *
 * @example
 *   await clock.sleep(pollDelayMs(elapsed), signal); // throws Cancelled when signal aborts
 */
export interface Clock {
  now(): Date;
  /** Resolves after `ms`; rejects with `Cancelled` as soon as `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export function cancelledBy(signal: AbortSignal): Cancelled {
  const reason: unknown = signal.reason;
  if (reason instanceof Cancelled) return reason;
  return new Cancelled(
    reason instanceof Error ? reason.message : 'cancelled',
    reason === undefined ? undefined : { cause: reason },
  );
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep(ms, signal) {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(cancelledBy(signal));
      const onAbort = () => {
        clearTimeout(timer);
        reject(cancelledBy(signal!));
      };
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, ms),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
};
