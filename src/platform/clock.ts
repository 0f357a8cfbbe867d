/**
 * The only source of "now" for code that decides on time: signature freshness, retries, leases,
 * license expiry. Production uses the system clock; tests inject a fake one and move it.
 *
 * @example
 *   const clock = createFakeClock(new Date('2026-01-01T00:00:00Z'));
 *   clock.advance(61_000);
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface FakeClock extends Clock {
  set(at: Date): void;
  advance(ms: number): void;
}

export function createFakeClock(start: Date = new Date('2026-01-01T00:00:00Z')): FakeClock {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    set: (at) => {
      current = at.getTime();
    },
    advance: (ms) => {
      current += ms;
    },
  };
}
