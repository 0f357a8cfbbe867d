import type { Clock } from './clock.js';
import { Retryable } from './errors.js';

/**
 * How long to wait before the next look at something that is not ready yet. `adaptive` (the
 * default): soon at first, then a fixed fraction of the time already waited (so a wait overshoots
 * its end by about 2 %), never more than 10 s apart. `fixed(ms)`: the benchmark's reference.
 */
export type PollDelay = (elapsedMs: number, attempt: number) => number;

export const pollDelays = {
  adaptive: ((elapsedMs) => Math.min(10_000, Math.max(200, elapsedMs * 0.02))) as PollDelay,
  fixed:
    (ms: number): PollDelay =>
    () =>
      ms,
};

export interface PollOptions {
  clock: Clock;
  /** Give up with `Retryable` once this much time has passed (waiting again is safe). */
  timeoutMs: number;
  /** Aborting it ends the wait at once with `Cancelled`. */
  signal?: AbortSignal;
  delay?: PollDelay;
}

/**
 * Calls `probe` until it returns a value (not `undefined`), sleeping on the clock between calls.
 * A `Retryable` thrown by `probe` (a throttled or briefly unavailable API) counts as "not yet":
 * the next look comes after its retry-after, and at the deadline the wait ends with that error.
 * Anything else `probe` throws ends the wait with that error. The one polling loop: job waits, sshd
 * waits, health checks and teardown verification all use it.
 *
 * @example
 *   const job = await pollUntil(`job ${jobId}`, { clock, timeoutMs: 30 * 60_000, signal },
 *     async () => { const j = await cloud.getJob(jobId); return j.status === 'SUCCESS' ? j : undefined; });
 */
export async function pollUntil<T>(
  what: string,
  options: PollOptions,
  probe: (attempt: number) => Promise<T | undefined>,
): Promise<T> {
  const { clock, signal } = options;
  const delay = options.delay ?? pollDelays.adaptive;
  const started = clock.now().getTime();
  for (let attempt = 1; ; attempt++) {
    let transient: Retryable | undefined;
    try {
      const value = await probe(attempt);
      if (value !== undefined) return value;
    } catch (err) {
      if (!(err instanceof Retryable)) throw err;
      transient = err;
    }
    const elapsed = clock.now().getTime() - started;
    const left = options.timeoutMs - elapsed;
    if (left <= 0) {
      if (transient) throw transient;
      throw new Retryable(`timed out after ${Math.round(elapsed / 1000)} s waiting for ${what}`, {
        code: 'timeout',
      });
    }
    const next = Math.max(delay(elapsed, attempt), transient?.retryAfterMs ?? 0);
    await clock.sleep(Math.min(next, left), signal);
  }
}
