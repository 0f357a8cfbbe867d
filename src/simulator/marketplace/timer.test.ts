import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../../test/support/fakes/manual-clock.js';
import { createVirtualTimer } from '../../../test/support/marketplace-sim/virtual-timer.js';
import { createRealTimer, TimerClosedError } from './timer.js';

describe('virtual timer', () => {
  it('jumps the clock to each due sleep, in order', async () => {
    const clock = createManualClock({ start: new Date('2026-01-01T00:00:00Z') });
    const timer = createVirtualTimer(clock);
    const woke: Array<[string, string]> = [];
    await Promise.all([
      timer.sleep(3 * 3_600_000).then(() => woke.push(['3h', clock.now().toISOString()])),
      timer.sleep(3_600_000).then(() => woke.push(['1h', clock.now().toISOString()])),
    ]);
    expect(woke).toEqual([
      ['1h', '2026-01-01T01:00:00.000Z'],
      ['3h', '2026-01-01T03:00:00.000Z'],
    ]);
  });

  it('does not jump while tracked work is in flight', async () => {
    const clock = createManualClock({ start: new Date('2026-01-01T00:00:00Z') });
    const timer = createVirtualTimer(clock);
    let finish!: () => void;
    const work = timer.track(new Promise<void>((r) => (finish = r)));
    const sleeping = timer.sleep(60_000);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(clock.now().toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(timer.pendingSleeps()).toBe(1);
    finish();
    await work;
    await sleeping;
    expect(clock.now().toISOString()).toBe('2026-01-01T00:01:00.000Z');
  });

  it('close() rejects pending and later sleeps', async () => {
    const timer = createVirtualTimer(createManualClock());
    let finish!: () => void;
    const work = timer.track(new Promise<void>((r) => (finish = r)));
    const pending = timer.sleep(1_000);
    timer.close();
    await expect(pending).rejects.toBeInstanceOf(TimerClosedError);
    await expect(timer.sleep(1)).rejects.toBeInstanceOf(TimerClosedError);
    finish();
    await work;
  });
});

describe('real timer', () => {
  it('scales waits and cancels on close', async () => {
    let scale = 3_600_000;
    const timer = createRealTimer({ scale: () => scale });
    const started = performance.now();
    const t0 = timer.now();
    await timer.sleep(3_600_000); // one simulated hour: about a millisecond
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(timer.now() - t0).toBeGreaterThanOrEqual(3_600_000);
    scale = 1;
    const t1 = timer.now();
    expect(timer.now() - t1).toBeLessThan(1_000); // the timeline slowed down without jumping
    const slow = createRealTimer();
    const pending = slow.sleep(60_000);
    slow.close();
    await expect(pending).rejects.toBeInstanceOf(TimerClosedError);
  });
});
