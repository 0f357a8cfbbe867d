import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../test/support/fakes/manual-clock.js';
import { Cancelled, Permanent, Retryable } from './errors.js';
import { pollDelays, pollUntil } from './poll.js';

describe('pollUntil', () => {
  it('returns the first value, polling adaptively on the clock', async () => {
    const clock = createManualClock({ auto: true });
    const t0 = clock.now().getTime();
    const seen: number[] = [];
    const value = await pollUntil('the thing', { clock, timeoutMs: 3_600_000 }, async (n) => {
      seen.push(clock.now().getTime() - t0);
      return n === 40 ? 'done' : undefined;
    });
    expect(value).toBe('done');
    // 200 ms at first, then 2 % of the time waited.
    expect(seen.slice(0, 3)).toEqual([0, 200, 400]);
    const last = seen.at(-1)!;
    const before = seen.at(-2)!;
    expect(last - before).toBe(Math.max(200, before * 0.02));
  });

  it('times out with Retryable naming what it waited for', async () => {
    const clock = createManualClock({ auto: true });
    const err = await pollUntil('sshd', { clock, timeoutMs: 60_000 }, async () => undefined).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Retryable);
    expect((err as Error).message).toBe('timed out after 60 s waiting for sshd');
  });

  it('ends at once with Cancelled when its signal aborts', async () => {
    const clock = createManualClock();
    const abort = new AbortController();
    const wait = pollUntil(
      'x',
      { clock, timeoutMs: 60_000, signal: abort.signal },
      async () => undefined,
    ).catch((e: unknown) => e);
    await new Promise((r) => setImmediate(r));
    abort.abort();
    expect(await wait).toBeInstanceOf(Cancelled);
    expect(clock.pending()).toBe(0);
  });

  it('polls at a fixed interval when asked', async () => {
    const clock = createManualClock({ auto: true });
    const t0 = clock.now().getTime();
    const seen: number[] = [];
    await pollUntil(
      'y',
      { clock, timeoutMs: 60_000, delay: pollDelays.fixed(10_000) },
      async (n) => {
        seen.push(clock.now().getTime() - t0);
        return n === 3 ? true : undefined;
      },
    );
    expect(seen).toEqual([0, 10_000, 20_000]);
  });

  it('keeps looking through a throttled probe, after the wait it asked for', async () => {
    const clock = createManualClock({ auto: true });
    const t0 = clock.now().getTime();
    const seen: number[] = [];
    const value = await pollUntil('job', { clock, timeoutMs: 60_000 }, async (n) => {
      seen.push(clock.now().getTime() - t0);
      if (n <= 2) throw new Retryable('throttled', { retryAfterMs: 5_000 });
      return 'done';
    });
    expect(value).toBe('done');
    expect(seen).toEqual([0, 5_000, 10_000]);
  });

  it('ends with the last transient error when it lasts past the deadline', async () => {
    const clock = createManualClock({ auto: true });
    const err = await pollUntil('job', { clock, timeoutMs: 60_000 }, async () => {
      throw new Retryable('503 from getJob', { code: 'Common.0503' });
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Retryable);
    expect((err as Error).message).toBe('503 from getJob');
  });

  it('ends at once on a permanent error', async () => {
    const clock = createManualClock({ auto: true });
    let calls = 0;
    const err = await pollUntil('job', { clock, timeoutMs: 60_000 }, async () => {
      calls++;
      throw new Permanent('job refused');
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Permanent);
    expect(calls).toBe(1);
  });
});
