import type { Clock } from './clock.js';

/**
 * A token bucket: `take()` resolves when a token is available. Spaces out calls that must not
 * exceed a rate (status polls of many deployments at once), in this process.
 *
 * @example
 *   const polls = createTokenBucket({ clock, ratePerSecond: 20, burst: 20 });
 *   await polls.take();
 */
export interface TokenBucket {
  take(): Promise<void>;
}

export function createTokenBucket(options: {
  clock: Clock;
  ratePerSecond: number;
  burst: number;
}): TokenBucket {
  const now = () => options.clock.now().getTime();
  const sleep = (ms: number) => options.clock.sleep(ms);
  let tokens = options.burst;
  let last = now();
  let queue: Promise<void> = Promise.resolve();
  const refill = () => {
    const t = now();
    tokens = Math.min(options.burst, tokens + ((t - last) / 1000) * options.ratePerSecond);
    last = t;
  };
  return {
    take() {
      // Callers are served in order: each waits for the one before it.
      const mine = queue.then(async () => {
        refill();
        if (tokens < 1) {
          await sleep(((1 - tokens) / options.ratePerSecond) * 1000);
          refill();
        }
        tokens -= 1;
      });
      queue = mine.catch(() => {});
      return mine;
    },
  };
}
