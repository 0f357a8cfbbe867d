import type { Clock } from '../platform/clock.js';
import { type PollDelay, pollUntil } from '../platform/poll.js';
import type { CloudApi, CloudJob } from './cloud-api.js';
import { classifyJobFailure } from './errors.js';

export interface WaitForJobOptions {
  clock: Clock;
  /** Give up with `Retryable` after this long (waiting again is safe). */
  timeoutMs: number;
  /** Aborting it ends the wait at once with `Cancelled`. */
  signal?: AbortSignal;
  /** Time between polls; `pollDelays.adaptive` (platform/poll.ts) by default. */
  delay?: PollDelay;
  /** Awaited before every `getJob` (the engine takes a token from its poll rate limiter). */
  beforePoll?: () => Promise<void>;
}

/**
 * The one wait for an ECS job: polls `getJob` on the clock until the job ends. Resolves with the
 * job on SUCCESS. On FAIL throws `CapacityExhausted` when the job's code or reason, or any failed
 * sub-job's (`errorcode_message` included), says sold out / no capacity, and `Permanent`
 * otherwise; throws `Retryable` at the deadline and `Cancelled` when `signal` aborts. Errors of
 * `getJob` itself pass through (already classified by the adapter).
 *
 * @example
 *   const job = await waitForJob(cloud, jobId, { clock, timeoutMs: 30 * 60_000, signal,
 *     beforePoll: () => pollLimiter.take() });
 *   const [serverId] = job.serverIds;
 */
export async function waitForJob(
  cloud: Pick<CloudApi, 'getJob'>,
  jobId: string,
  options: WaitForJobOptions,
): Promise<CloudJob> {
  const { clock, timeoutMs, signal, delay } = options;
  return pollUntil(
    `job ${jobId} to end`,
    { clock, timeoutMs, ...(signal ? { signal } : {}), ...(delay ? { delay } : {}) },
    async () => {
      await options.beforePoll?.();
      const job = await cloud.getJob(jobId);
      if (job.status === 'SUCCESS') return job;
      if (job.status === 'FAIL') throw classifyJobFailure(job);
      return undefined;
    },
  );
}
