import { Cancelled } from '../../platform/errors.js';

/**
 * Stopping the process without losing or misrecording work. Once `stop` is called, every step
 * in flight has its signal aborted and is parked when it returns: its outcome is not
 * checkpointed, so the workflow stays pending and resumes at that step on this replica's restart
 * or on another replica (steps are idempotent against the outside world). No new step starts.
 * `stop` resolves once no step is running, or after its grace, telling how many still are.
 *
 * @example
 *   const halt = createHalt();
 *   const outcome = await checkpoint(name, () => halt.guard(() => runStep()));
 *   const stillRunning = await halt.stop(10_000);
 */
export interface Halt {
  /** Aborted when the process stops: steps abort their own signal with it. */
  readonly signal: AbortSignal;
  /** Runs one step's work; after `stop` it never settles (the step is abandoned, not recorded). */
  guard<T>(work: () => Promise<T>): Promise<T>;
  /** Stops: aborts the steps, waits up to `graceMs` for them to park, returns how many did not. */
  stop(graceMs: number): Promise<number>;
}

const parked = () => new Promise<never>(() => {});

export function createHalt(): Halt {
  const controller = new AbortController();
  let running = 0;
  let settled: (() => void) | undefined;

  return {
    signal: controller.signal,
    async guard<T>(work: () => Promise<T>): Promise<T> {
      if (controller.signal.aborted) return parked();
      running++;
      let outcome: { ok: true; value: T } | { ok: false; error: unknown };
      try {
        outcome = { ok: true, value: await work() };
      } catch (error) {
        outcome = { ok: false, error };
      } finally {
        running--;
        if (running === 0) settled?.();
      }
      if (controller.signal.aborted) return parked();
      if (outcome.ok) return outcome.value;
      throw outcome.error;
    },
    async stop(graceMs) {
      controller.abort(new Cancelled('the service is stopping'));
      if (running === 0) return 0;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => {
          settled = resolve;
        }),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timer);
      return running;
    },
  };
}
