import type { Checkpoint } from '../../../src/deployments/engine/steps.js';

/** One checkpointed step, as a durable runner records it. */
export interface StepRecord {
  name: string;
  /** The step's outcome as JSON (what a replay returns). */
  output: string;
}

/**
 * The in-memory checkpoint: records each step's outcome in call order, as DBOS does, and on a
 * replay (a new run over the same record) returns the recorded outcome without running the step.
 * `stopAfter: n` simulates the process dying right after the n-th step was checkpointed: the run
 * never resumes from there (its promise stays pending), as a killed process never does.
 *
 * @example
 *   const record: StepRecord[] = [];
 *   void runOperation(deps, opId, memoryCheckpoint(record, { stopAfter: 3 }));
 *   await until(() => record.length === 3);
 *   const outcome = await runOperation(deps, opId, memoryCheckpoint(record)); // resumes
 */
export function memoryCheckpoint(
  record: StepRecord[],
  options: { stopAfter?: number; onStop?: () => void } = {},
): Checkpoint {
  let position = 0;
  return async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const at = position++;
    const recorded = record[at];
    if (recorded) {
      if (recorded.name !== name)
        throw new Error(`replay diverged at step ${at}: recorded ${recorded.name}, now ${name}`);
      return JSON.parse(recorded.output) as T;
    }
    const value = await fn();
    // JSON round trip: the first run sees what a replay would (dates as strings).
    const output = JSON.stringify(value === undefined ? null : value);
    record[at] = { name, output };
    if (options.stopAfter !== undefined && record.filter(Boolean).length >= options.stopAfter) {
      options.onStop?.();
      return new Promise<T>(() => {}); // the process died here
    }
    return JSON.parse(output) as T;
  };
}
