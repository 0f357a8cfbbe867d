/**
 * How the marketplace simulator waits between resends and polls. The real simulator waits on
 * real timers (optionally time-scaled: the 3-hour retry cadence of spec §7 in seconds); tests use
 * virtual time, which jumps to the next due timer as soon as no HTTP call is in flight, so a
 * 3-hour cadence runs instantly and deterministically.
 *
 * @example
 *   const clock = createManualClock();
 *   const timer = createVirtualTimer(clock);
 *   await timer.sleep(3_600_000); // returns at once; clock.now() moved one hour
 */
export interface Timer {
  /**
   * Milliseconds on the timer's own timeline, the one cadences are measured on: the fake clock
   * for virtual time; for a time-scaled real timer, real time sped up by the scale (so an
   * "hourly" retry at scale 3600 comes every real second, without drift).
   */
  now(): number;
  /** Resolves after `ms` of (real or virtual) time; rejects with TimerClosedError on close(). */
  sleep(ms: number): Promise<void>;
  /** Marks outside work (an HTTP exchange) in flight: virtual time never jumps during it. */
  track<T>(work: Promise<T>): Promise<T>;
  /** Cancels every pending sleep. */
  close(): void;
}

export class TimerClosedError extends Error {
  override name = 'TimerClosedError';
}

export interface Sleeper {
  due: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** Real timers; `scale` > 1 runs faster than real time (3600 → one simulated hour per second). */
export function createRealTimer(options: { scale?: number | (() => number) } = {}): Timer {
  const pending = new Map<NodeJS.Timeout, Sleeper>();
  let closed = false;
  const scaleNow = () =>
    typeof options.scale === 'function' ? options.scale() : (options.scale ?? 1);
  // The scaled timeline is re-anchored whenever the scale changes, so it never jumps.
  let anchor = { real: performance.now(), virtual: Date.now(), scale: scaleNow() };
  const now = () => {
    const real = performance.now();
    const scale = scaleNow();
    if (scale !== anchor.scale) {
      anchor = { real, virtual: anchor.virtual + (real - anchor.real) * anchor.scale, scale };
    }
    return anchor.virtual + (real - anchor.real) * anchor.scale;
  };
  return {
    now,
    sleep(ms) {
      if (closed) return Promise.reject(new TimerClosedError('timer closed'));
      const due = now() + Math.max(0, ms);
      return new Promise<void>((resolve, reject) => {
        // Node may fire a timer a fraction of a millisecond early: re-arm until the timeline
        // really reached the due time, so a sleep never ends before its cadence slot.
        const arm = () => {
          const handle = setTimeout(
            () => {
              pending.delete(handle);
              if (now() >= due) resolve();
              else arm();
            },
            Math.max(0, (due - now()) / scaleNow()),
          );
          pending.set(handle, { due, resolve, reject });
        };
        arm();
      });
    },
    track: (work) => work,
    close() {
      closed = true;
      for (const [handle, s] of pending) {
        clearTimeout(handle);
        s.reject(new TimerClosedError('timer closed'));
      }
      pending.clear();
    },
  };
}
