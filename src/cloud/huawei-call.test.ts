import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../test/support/fakes/manual-clock.js';
import type { Clock } from '../platform/clock.js';
import { Permanent, Retryable } from '../platform/errors.js';
import { createMemoryLogger } from '../platform/logger.js';
import { CloudConflict, CloudRetryable } from './errors.js';
import { createCaller, retryDelayMs } from './huawei-call.js';

const policy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 1000 };

/** The manual clock, advancing by itself, with every sleep recorded. */
function sleepingClock(): Clock & { slept: number[]; elapsed(): number } {
  const clock = createManualClock({ auto: true });
  const start = clock.now().getTime();
  const slept: number[] = [];
  return {
    slept,
    now: () => clock.now(),
    sleep(ms, signal) {
      slept.push(ms);
      return clock.sleep(ms, signal);
    },
    elapsed: () => clock.now().getTime() - start,
  };
}

describe('createCaller', () => {
  it('retries retryable failures with backoff and full jitter on the clock, then succeeds', async () => {
    const clock = sleepingClock();
    const { logger } = createMemoryLogger();
    const call = createCaller({ region: 'r', logger, retry: policy, clock, random: () => 0.5 });
    let n = 0;
    const result = await call('ecs.showJob', async () => {
      n++;
      if (n === 1) throw { httpStatusCode: 503, errorMsg: 'busy' };
      if (n === 2) throw { errorMsg: 'socket hang up' };
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(clock.slept).toEqual([50, 100]);
    expect(clock.elapsed()).toBe(150);
  });

  it('floors throttling waits at the gateway suggestion and caps the backoff', () => {
    const throttled = new CloudRetryable('t', {
      code: 'APIGW.0308',
      operation: 'o',
      retryAfterMs: 2000,
    });
    expect(retryDelayMs(1, throttled, policy, () => 0)).toBe(2000);
    expect(retryDelayMs(10, throttled, policy, () => 0.999)).toBeLessThanOrEqual(3000);
  });

  it('does not retry permanent failures, and stops after the attempts', async () => {
    const { logger, lines } = createMemoryLogger();
    const clock = sleepingClock();
    const call = createCaller({ region: 'r', logger, retry: policy, clock, random: () => 0 });
    let n = 0;
    const quota = await call('ecs.create', async () => {
      n++;
      throw { httpStatusCode: 400, errorCode: 'Ecs.0001', errorMsg: 'quota' };
    }).catch((e) => e);
    expect(quota).toBeInstanceOf(Permanent);
    expect(quota).toMatchObject({ code: 'Ecs.0001' });
    expect(n).toBe(1);
    n = 0;
    await expect(
      call('ecs.show', async () => {
        n++;
        throw { httpStatusCode: 500 };
      }),
    ).rejects.toBeInstanceOf(Retryable);
    expect(n).toBe(4);
    expect(lines.some((l) => l.includes('"code":"Ecs.0001"'))).toBe(true);
  });

  it('retries conflicts only when asked', async () => {
    const { logger } = createMemoryLogger();
    const call = createCaller({
      region: 'r',
      logger,
      retry: policy,
      clock: sleepingClock(),
      random: () => 0,
    });
    let n = 0;
    const conflictTwice = async () => {
      if (++n <= 2) throw { httpStatusCode: 409, errorCode: 'VPC.0602' };
      return 'gone';
    };
    await expect(call('vpc.deleteSubnet', conflictTwice)).rejects.toBeInstanceOf(CloudConflict);
    n = 0;
    await expect(call('vpc.deleteSubnet', conflictTwice, { retryConflicts: true })).resolves.toBe(
      'gone',
    );
  });
});
