import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../test/support/fakes/manual-clock.js';
import { createTokenBucket } from './rate-limiter.js';

describe('token bucket', () => {
  it('lets a burst through, then spaces calls at the rate, in order', async () => {
    const clock = createManualClock({ auto: true });
    const t0 = clock.now().getTime();
    const bucket = createTokenBucket({ clock, ratePerSecond: 10, burst: 2 });
    const order: Array<[number, number]> = [];
    await Promise.all(
      [0, 1, 2, 3].map((i) =>
        bucket.take().then(() => order.push([i, clock.now().getTime() - t0])),
      ),
    );
    expect(order).toEqual([
      [0, 0],
      [1, 0],
      [2, 100],
      [3, 200],
    ]);
  });
});
