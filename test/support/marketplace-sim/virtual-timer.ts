import type { Sleeper, Timer } from '../../../src/simulator/marketplace/timer.js';
import { TimerClosedError } from '../../../src/simulator/marketplace/timer.js';
import type { ManualClock } from '../fakes/manual-clock.js';

/** Virtual time over a fake clock: sleeping advances the clock, never the wall clock. */
export function createVirtualTimer(
  clock: Pick<ManualClock, 'now' | 'set'>,
): Timer & { pendingSleeps(): number } {
  const sleepers: Sleeper[] = [];
  let inFlight = 0;
  let checkScheduled = false;
  let closed = false;

  const check = () => {
    checkScheduled = false;
    if (inFlight > 0 || sleepers.length === 0) return;
    sleepers.sort((a, b) => a.due - b.due);
    const due = sleepers[0]!.due;
    if (due > clock.now().getTime()) clock.set(new Date(due));
    const ready = sleepers.filter((s) => s.due <= due);
    sleepers.splice(0, ready.length);
    for (const s of ready) s.resolve();
    // Later sleepers wait for the next check: by then, the woken ones have either slept again
    // or started tracked work.
    scheduleCheck();
  };
  // setImmediate runs after the microtasks a resolved sleep triggers, so an operation that
  // resumes and starts its next HTTP call is counted in flight before the next jump.
  const scheduleCheck = () => {
    if (checkScheduled || closed) return;
    checkScheduled = true;
    setImmediate(check);
  };

  return {
    now: () => clock.now().getTime(),
    sleep(ms) {
      if (closed) return Promise.reject(new TimerClosedError('timer closed'));
      return new Promise<void>((resolve, reject) => {
        sleepers.push({ due: clock.now().getTime() + Math.max(0, ms), resolve, reject });
        scheduleCheck();
      });
    },
    async track(work) {
      inFlight++;
      try {
        return await work;
      } finally {
        inFlight--;
        scheduleCheck();
      }
    },
    close() {
      closed = true;
      for (const s of sleepers.splice(0)) s.reject(new TimerClosedError('timer closed'));
    },
    pendingSleeps: () => sleepers.length,
  };
}
