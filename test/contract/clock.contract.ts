import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/platform/clock.js';
import { Cancelled } from '../../src/platform/errors.js';

/**
 * The `Clock` contract: `now` moves forward by what `sleep` waited, a sleep ends no earlier than
 * asked, and an abort ends it at once with `Cancelled` (also when already aborted). Held by the
 * system clock and by the manual clock every unit test sleeps on.
 */
export function describeClockContract(name: string, makeClock: () => Clock) {
  describe(`Clock contract: ${name}`, () => {
    it('sleeps at least as long as asked, and now() shows it', async () => {
      const clock = makeClock();
      const before = clock.now().getTime();
      await clock.sleep(30);
      expect(clock.now().getTime() - before).toBeGreaterThanOrEqual(29);
    });

    it('ends a sleep with Cancelled when its signal aborts', async () => {
      const clock = makeClock();
      const abort = new AbortController();
      const sleeping = clock.sleep(3_600_000, abort.signal).catch((e: unknown) => e);
      abort.abort();
      expect(await sleeping).toBeInstanceOf(Cancelled);
    });

    it('refuses to sleep on a signal already aborted, keeping its reason', async () => {
      const clock = makeClock();
      const abort = new AbortController();
      abort.abort(new Cancelled('release arrived'));
      const err = await clock.sleep(10, abort.signal).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Cancelled);
      expect((err as Error).message).toBe('release arrived');
    });

    it('wakes sleepers in deadline order', async () => {
      const clock = makeClock();
      const woke: number[] = [];
      await Promise.all([40, 10, 25].map((ms) => clock.sleep(ms).then(() => woke.push(ms))));
      expect(woke).toEqual([10, 25, 40]);
    });
  });
}
