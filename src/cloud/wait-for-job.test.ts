import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../test/support/fakes/manual-clock.js';
import { Cancelled, CapacityExhausted, Permanent, Retryable } from '../platform/errors.js';
import { pollDelays } from '../platform/poll.js';
import type { CloudApi, CloudJob } from './cloud-api.js';
import { CloudCapacityExhausted } from './errors.js';
import { waitForJob } from './wait-for-job.js';

function scriptedJobs(
  clock: { now(): Date },
  statuses: Array<Partial<CloudJob>>,
): Pick<CloudApi, 'getJob'> & { polls: number[] } {
  const api = {
    polls: [] as number[],
    async getJob(id: string): Promise<CloudJob> {
      const s = statuses[Math.min(api.polls.length, statuses.length - 1)]!;
      api.polls.push(clock.now().getTime());
      return { id, type: 'createServer', status: 'RUNNING', serverIds: [], ...s };
    },
  };
  return api;
}

describe('waitForJob', () => {
  it('polls on the clock (soon at first, then adaptively) until SUCCESS', async () => {
    const clock = createManualClock({ auto: true });
    const started = clock.now().getTime();
    const api = scriptedJobs(clock, [
      { status: 'INIT' },
      ...Array.from({ length: 80 }, () => ({ status: 'RUNNING' as const })),
      { status: 'SUCCESS', serverIds: ['s-1'] },
    ]);
    const job = await waitForJob(api, 'j-1', { clock, timeoutMs: 3_600_000 });
    expect(job.serverIds).toEqual(['s-1']);
    const gaps = api.polls.slice(1).map((t, i) => t - api.polls[i]!);
    expect(gaps.slice(0, 3)).toEqual([200, 200, 200]);
    // 2 % of the time already waited once that passes 200 ms (pollDelays.adaptive).
    expect(gaps.at(-1)).toBeGreaterThan(300);
    expect(api.polls[0]).toBe(started);
  });

  it('takes a fixed delay and awaits beforePoll before every getJob', async () => {
    const clock = createManualClock({ auto: true });
    const api = scriptedJobs(clock, [{}, {}, { status: 'SUCCESS' }]);
    const order: string[] = [];
    const traced: Pick<CloudApi, 'getJob'> = {
      getJob: (id) => {
        order.push('getJob');
        return api.getJob(id);
      },
    };
    await waitForJob(traced, 'j', {
      clock,
      timeoutMs: 60_000,
      delay: pollDelays.fixed(5000),
      beforePoll: async () => {
        order.push('take');
      },
    });
    expect(order).toEqual(['take', 'getJob', 'take', 'getJob', 'take', 'getJob']);
    expect(api.polls[2]! - api.polls[0]!).toBe(10_000);
  });

  it('throws CapacityExhausted for a sold-out FAIL and Permanent for others', async () => {
    const clock = createManualClock({ auto: true });
    const soldOut = scriptedJobs(clock, [
      { status: 'FAIL', failReason: 'Flavor c7.large.2 is sold out in cn-north-4a' },
    ]);
    await expect(waitForJob(soldOut, 'j', { clock, timeoutMs: 60_000 })).rejects.toBeInstanceOf(
      CapacityExhausted,
    );
    const other = scriptedJobs(clock, [
      { status: 'FAIL', errorCode: 'Ecs.0005', failReason: 'bad image' },
    ]);
    const err = await waitForJob(other, 'j', { clock, timeoutMs: 60_000 }).catch((e) => e);
    expect(err).toBeInstanceOf(Permanent);
    expect(err).not.toBeInstanceOf(CapacityExhausted);
    expect(err).toMatchObject({ code: 'Ecs.0005', operation: 'ecs.showJob' });
  });

  it('finds capacity in a failed sub-job (errorcode_message) when the job says nothing useful', async () => {
    const clock = createManualClock({ auto: true });
    const api = scriptedJobs(clock, [
      {
        status: 'FAIL',
        errorCode: 'Ecs.0219',
        failReason: 'Failed to quickly create server',
        failures: [{ serverId: 's-1', reason: 'No valid host was found' }],
      },
    ]);
    const err = await waitForJob(api, 'j', { clock, timeoutMs: 60_000 }).catch((e) => e);
    expect(err).toBeInstanceOf(CloudCapacityExhausted);
    expect(err.message).toMatch(/No valid host/);
  });

  it('gives up at the deadline with Retryable, having waited exactly the timeout', async () => {
    const clock = createManualClock({ auto: true });
    const started = clock.now().getTime();
    const api = scriptedJobs(clock, [{ status: 'RUNNING' }]);
    const err = await waitForJob(api, 'j', { clock, timeoutMs: 15_000 }).catch((e) => e);
    expect(err).toBeInstanceOf(Retryable);
    expect(err.message).toMatch(/job j/);
    expect(clock.now().getTime() - started).toBe(15_000);
  });

  it('ends with Cancelled as soon as the signal aborts', async () => {
    const clock = createManualClock();
    const api = scriptedJobs(clock, [{ status: 'RUNNING' }]);
    const abort = new AbortController();
    const waiting = waitForJob(api, 'j', { clock, timeoutMs: 60_000, signal: abort.signal });
    await new Promise((r) => setImmediate(r));
    abort.abort(new Cancelled('released'));
    await expect(waiting).rejects.toBeInstanceOf(Cancelled);
    expect(api.polls).toHaveLength(1);
  });

  it('passes getJob failures through unchanged', async () => {
    const clock = createManualClock({ auto: true });
    const boom = new Permanent('unknown job', { code: 'Ecs.0105' });
    const api: Pick<CloudApi, 'getJob'> = { getJob: () => Promise.reject(boom) };
    await expect(waitForJob(api, 'j', { clock, timeoutMs: 60_000 })).rejects.toBe(boom);
  });
});
