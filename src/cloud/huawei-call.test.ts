import { describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../platform/logger.js';
import { CloudError } from './errors.js';
import { createCaller, retryDelayMs } from './huawei-call.js';

const policy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 1000 };

describe('createCaller', () => {
  it('retries retryable failures with backoff and full jitter, then succeeds', async () => {
    const slept: number[] = [];
    const { logger } = createMemoryLogger();
    const call = createCaller({
      region: 'r',
      logger,
      retry: policy,
      sleep: async (ms) => void slept.push(ms),
      random: () => 0.5,
    });
    let n = 0;
    const result = await call('ecs.showJob', async () => {
      n++;
      if (n === 1) throw { httpStatusCode: 503, errorMsg: 'busy' };
      if (n === 2) throw { errorMsg: 'socket hang up' };
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(slept).toEqual([50, 100]);
  });

  it('floors throttling waits at the gateway suggestion and caps the backoff', () => {
    const throttled = new CloudError('t', {
      kind: 'retryable',
      code: 'APIGW.0308',
      operation: 'o',
      retryAfterMs: 2000,
    });
    expect(retryDelayMs(1, throttled, policy, () => 0)).toBe(2000);
    expect(retryDelayMs(10, throttled, policy, () => 0.999)).toBeLessThanOrEqual(3000);
  });

  it('does not retry permanent failures, and stops after the attempts', async () => {
    const { logger, lines } = createMemoryLogger();
    const call = createCaller({
      region: 'r',
      logger,
      retry: policy,
      sleep: async () => {},
      random: () => 0,
    });
    let n = 0;
    await expect(
      call('ecs.create', async () => {
        n++;
        throw { httpStatusCode: 400, errorCode: 'Ecs.0001', errorMsg: 'quota' };
      }),
    ).rejects.toMatchObject({ kind: 'permanent', code: 'Ecs.0001' });
    expect(n).toBe(1);
    n = 0;
    await expect(
      call('ecs.show', async () => {
        n++;
        throw { httpStatusCode: 500 };
      }),
    ).rejects.toMatchObject({ kind: 'retryable' });
    expect(n).toBe(4);
    expect(lines.some((l) => l.includes('"code":"Ecs.0001"'))).toBe(true);
  });

  it('retries conflicts only when asked', async () => {
    const { logger } = createMemoryLogger();
    const call = createCaller({
      region: 'r',
      logger,
      retry: policy,
      sleep: async () => {},
      random: () => 0,
    });
    let n = 0;
    const conflictTwice = async () => {
      if (++n <= 2) throw { httpStatusCode: 409, errorCode: 'VPC.0602' };
      return 'gone';
    };
    await expect(call('vpc.deleteSubnet', conflictTwice)).rejects.toMatchObject({
      kind: 'conflict',
    });
    n = 0;
    await expect(call('vpc.deleteSubnet', conflictTwice, { retryConflicts: true })).resolves.toBe(
      'gone',
    );
  });
});
