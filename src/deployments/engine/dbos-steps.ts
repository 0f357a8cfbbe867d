import { DBOS } from '@dbos-inc/dbos-sdk';
import type { Checkpoint } from './steps.js';

/**
 * The production checkpoint: each step is a DBOS step of the operation's workflow, numbered in
 * call order. DBOS itself retries nothing (the runner retries on the clock, by policy) and stores
 * the step's outcome, value or classified failure, as its output.
 */
export const dbosCheckpoint: Checkpoint = (name, fn) => DBOS.runStep(fn, { name });
