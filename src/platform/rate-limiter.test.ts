import { describe, expect, it } from 'vitest';
import { createTokenBucket } from './rate-limiter.js';

describe('token bucket', () => {
  it('lets a burst through, then spaces calls at the rate, in order', async () => {
    let t = 0;
    const slept: number[] = [];
    const bucket = createTokenBucket({
      ratePerSecond: 10,
      burst: 2,
      now: () => t,
      sleep: async (ms) => {
        slept.push(Math.round(ms));
        t += ms;
      },
    });
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3].map((i) => bucket.take().then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3]);
    expect(slept).toEqual([100, 100]);
  });
});
