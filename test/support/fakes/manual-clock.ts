import { type Clock, cancelledBy } from '../../../src/platform/clock.js';

/**
 * A clock tests move by hand. `sleep` waits until `advance`/`set` passes its deadline. With
 * `auto: true` the clock advances by itself to the next sleeper's deadline whenever every sleeper
 * is waiting and nothing else is runnable (after a macrotask turn): a flow of a day's waits runs in
 * milliseconds, in the order the real clock would run it.
 *
 * @example
 *   const clock = createManualClock({ auto: true });
 *   await runDeploy(); // every wait inside returns at once, in deadline order
 */
export interface ManualClock extends Clock {
  set(at: Date): void;
  advance(ms: number): void;
  /** Sleepers not yet woken. */
  pending(): number;
  /** Total time slept by `auto` advancing since creation. */
  readonly skippedMs: number;
}

interface Sleeper {
  at: number;
  seq: number;
  resolve(): void;
}

export function createManualClock(options: { start?: Date; auto?: boolean } = {}): ManualClock {
  let current = (options.start ?? new Date('2026-01-01T00:00:00Z')).getTime();
  let seq = 0;
  let skipped = 0;
  const sleepers: Sleeper[] = [];
  let scheduled = false;

  const wake = () => {
    sleepers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    while (sleepers.length > 0 && sleepers[0]!.at <= current) sleepers.shift()!.resolve();
  };

  // Two macrotask turns: promise chains and in-memory fakes settle before time jumps.
  const autoAdvance = () => {
    if (!options.auto || scheduled) return;
    scheduled = true;
    setImmediate(() =>
      setImmediate(() => {
        scheduled = false;
        if (sleepers.length === 0) return;
        const next = Math.min(...sleepers.map((s) => s.at));
        if (next > current) {
          skipped += next - current;
          current = next;
        }
        wake();
        if (sleepers.length > 0) autoAdvance();
      }),
    );
  };

  const clock: ManualClock = {
    now: () => new Date(current),
    sleep(ms, signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(cancelledBy(signal));
        const sleeper: Sleeper = {
          at: current + Math.max(0, ms),
          seq: seq++,
          resolve: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        const onAbort = () => {
          const i = sleepers.indexOf(sleeper);
          if (i >= 0) sleepers.splice(i, 1);
          reject(cancelledBy(signal!));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        sleepers.push(sleeper);
        autoAdvance();
      });
    },
    set(at) {
      current = at.getTime();
      wake();
    },
    advance(ms) {
      current += ms;
      wake();
    },
    pending: () => sleepers.length,
    get skippedMs() {
      return skipped;
    },
  };
  return clock;
}
