import type { Clock } from '../../platform/clock.js';

/**
 * The simulator's timeline: lifecycle transitions due at given clock times. They run when
 * something reads the state (every request calls `advance()` first), and from a timer so that
 * side effects such as starting an SSH host happen even when nobody asks. With a fake clock the
 * timer is harmless and tests drive time by moving the clock.
 */
export interface Scheduler {
  at(atMs: number, fn: () => void): void;
  /** Runs every transition due by now, in time order (ties in scheduling order). */
  advance(): void;
  pending(): number;
  clear(): void;
  stop(): void;
}

interface Entry {
  at: number;
  seq: number;
  fn: () => void;
}

export function createScheduler(clock: Clock, onError: (err: unknown) => void): Scheduler {
  let entries: Entry[] = [];
  let seq = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running = false;

  const arm = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (stopped || entries.length === 0) return;
    const next = entries[0]!.at;
    const delay = Math.max(0, Math.min(2 ** 31 - 1, next - clock.now().getTime()));
    timer = setTimeout(() => scheduler.advance(), delay);
    timer.unref();
  };

  const scheduler: Scheduler = {
    at(atMs, fn) {
      entries.push({ at: atMs, seq: seq++, fn });
      entries.sort((a, b) => a.at - b.at || a.seq - b.seq);
      if (!running) arm();
    },
    advance() {
      if (running) return;
      running = true;
      try {
        for (;;) {
          const first = entries[0];
          if (!first || first.at > clock.now().getTime()) break;
          entries.shift();
          try {
            first.fn();
          } catch (err) {
            onError(err);
          }
        }
      } finally {
        running = false;
        arm();
      }
    },
    pending: () => entries.length,
    clear() {
      entries = [];
      arm();
    },
    stop() {
      stopped = true;
      entries = [];
      if (timer) clearTimeout(timer);
    },
  };
  return scheduler;
}
