import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../test/support/fakes/manual-clock.js';
import type { CloudApi, CloudJob } from './cloud-api.js';
import { CloudError } from './errors.js';
import { waitForJob } from './wait-for-job.js';

function scriptedJobs(
  statuses: Array<Partial<CloudJob>>,
): Pick<CloudApi, 'getJob'> & { polls: number } {
  const api = {
    polls: 0,
    async getJob(id: string): Promise<CloudJob> {
      const s = statuses[Math.min(api.polls++, statuses.length - 1)]!;
      return { id, type: 'createServer', status: 'RUNNING', serverIds: [], ...s };
    },
  };
  return api;
}

describe('waitForJob', () => {
  it('polls fast first then backs off, without sleeping for real', async () => {
    const clock = createManualClock();
    const slept: number[] = [];
    const sleep = async (ms: number) => {
      slept.push(ms);
      clock.advance(ms);
    };
    const api = scriptedJobs([
      { status: 'INIT' },
      ...Array.from({ length: 8 }, () => ({ status: 'RUNNING' as const })),
      { status: 'SUCCESS', serverIds: ['s-1'] },
    ]);
    const job = await waitForJob(api, 'j-1', {
      deadline: new Date(clock.now().getTime() + 3_600_000),
      clock,
      sleep,
    });
    expect(job.serverIds).toEqual(['s-1']);
    expect(slept.slice(0, 4)).toEqual([1000, 1000, 2000, 3000]);
    expect(Math.max(...slept)).toBe(10_000);
  });

  it('throws capacity for a sold-out FAIL and permanent for others', async () => {
    const clock = createManualClock();
    const sleep = async (ms: number) => clock.advance(ms);
    const deadline = new Date(clock.now().getTime() + 60_000);
    const soldOut = scriptedJobs([
      { status: 'FAIL', failReason: 'Flavor c7.large.2 is sold out in cn-north-4a' },
    ]);
    await expect(waitForJob(soldOut, 'j', { deadline, clock, sleep })).rejects.toMatchObject({
      kind: 'capacity',
    });
    const other = scriptedJobs([
      { status: 'FAIL', errorCode: 'Ecs.0005', failReason: 'bad image' },
    ]);
    await expect(waitForJob(other, 'j', { deadline, clock, sleep })).rejects.toMatchObject({
      kind: 'permanent',
    });
  });

  it('gives up at the deadline with a retryable error', async () => {
    const clock = createManualClock();
    const sleep = async (ms: number) => clock.advance(ms);
    const api = scriptedJobs([{ status: 'RUNNING' }]);
    const err = await waitForJob(api, 'j', {
      deadline: new Date(clock.now().getTime() + 15_000),
      clock,
      sleep,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(CloudError);
    expect(err.kind).toBe('retryable');
    expect(err.code).toBe('kgd.job-timeout');
    expect(clock.now().getTime() - createManualClock().now().getTime()).toBe(15_000);
  });
});
