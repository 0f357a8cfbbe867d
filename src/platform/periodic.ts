import type { Clock } from './clock.js';

/**
 * Runs `task` every `intervalMs` on the clock until `signal` aborts (a failure is reported, the
 * loop goes on). The returned promise ends when the loop does.
 *
 * @example
 *   const stop = new AbortController();
 *   const loop = runEvery(clock, 5000, () => sweep(), { signal: stop.signal, onError });
 *   stop.abort(); await loop;
 */
export async function runEvery(
  clock: Clock,
  intervalMs: number,
  task: () => Promise<unknown>,
  options: { signal: AbortSignal; onError?: (err: unknown) => void },
): Promise<void> {
  while (!options.signal.aborted) {
    try {
      await clock.sleep(intervalMs, options.signal);
    } catch {
      return; // aborted
    }
    try {
      await task();
    } catch (err) {
      options.onError?.(err);
    }
  }
}
