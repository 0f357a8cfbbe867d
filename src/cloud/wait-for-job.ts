import type { Clock } from '../platform/clock.js';
import type { CloudApi, CloudJob } from './cloud-api.js';
import { CloudError, classifyJobFailure } from './errors.js';

export interface WaitForJobOptions {
  /** Give up (retryable error) once the clock passes this. */
  deadline: Date;
  clock: Clock;
  /** Injected so tests do not sleep: e.g. `(ms) => { clock.advance(ms); return Promise.resolve(); }`. */
  sleep: (ms: number) => Promise<void>;
  region?: string;
  /** Called after every poll (progress reporting). */
  onPoll?: (job: CloudJob) => void;
}

/**
 * Poll intervals: quick at first (most power actions and small jobs end within seconds), then
 * backing off to the 10 s Terraform uses for long creates.
 */
export const jobPollScheduleMs = [1000, 1000, 2000, 3000, 5000, 5000, 10_000] as const;

/**
 * Waits for an ECS job to end. Resolves with the job on SUCCESS; throws a CloudError on FAIL
 * (`capacity` when the reason says sold out / no capacity, `permanent` otherwise) and a
 * `retryable` one (code kgd.job-timeout) when the deadline passes first, since waiting again
 * is safe.
 *
 * @example
 *   const job = await waitForJob(cloud, jobId, { deadline: new Date(Date.now() + 30 * 60_000), clock, sleep });
 *   const [serverId] = job.serverIds;
 */
export async function waitForJob(
  cloud: Pick<CloudApi, 'getJob'>,
  jobId: string,
  options: WaitForJobOptions,
): Promise<CloudJob> {
  const region = options.region ?? 'the region';
  for (let poll = 0; ; poll++) {
    const job = await cloud.getJob(jobId);
    options.onPoll?.(job);
    if (job.status === 'SUCCESS') return job;
    if (job.status === 'FAIL') throw classifyJobFailure(job, { operation: 'ecs.showJob', region });
    const now = options.clock.now().getTime();
    const left = options.deadline.getTime() - now;
    if (left <= 0) {
      throw new CloudError(
        `job ${jobId} (${job.type}) still ${job.status} at its deadline; waiting again is safe`,
        { kind: 'retryable', code: 'kgd.job-timeout', operation: 'ecs.showJob' },
      );
    }
    const interval = jobPollScheduleMs[Math.min(poll, jobPollScheduleMs.length - 1)]!;
    await options.sleep(Math.min(interval, left));
  }
}
