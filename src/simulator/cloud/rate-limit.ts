import type { Clock } from '../../platform/clock.js';
import { apiMatches } from './faults.js';

/**
 * Per-API request limits per minute, as the API gateway enforces them (429 APIGW.0308 with
 * "policy user over ratelimit,limit:N,time:1 minute"). A sliding one-minute window on the
 * injected clock. Keys are API names or patterns (`ecs.*`, `*`); the most specific applies.
 */
export interface RateLimiter {
  /** Counts the call; returns the exceeded limit, or undefined when the call may proceed. */
  take(api: string): number | undefined;
  set(api: string, perMinute: number | undefined): void;
  limits(): Record<string, number>;
  clear(): void;
}

/** Generous defaults, far above what a test or a demo does, low enough for load tests to hit. */
export const defaultRateLimits: Record<string, number> = {
  'ecs.createServers': 300,
  'ecs.*': 3000,
  '*': 6000,
};

export function createRateLimiter(
  clock: Clock,
  initial: Record<string, number> = defaultRateLimits,
): RateLimiter {
  const limits = new Map(Object.entries(initial));
  const windows = new Map<string, number[]>();

  const limitFor = (api: string): [string, number] | undefined => {
    if (limits.has(api)) return [api, limits.get(api)!];
    const patterns = [...limits.keys()].filter((p) => p !== '*' && apiMatches(p, api));
    const best =
      patterns.sort((a, b) => b.length - a.length)[0] ?? (limits.has('*') ? '*' : undefined);
    return best === undefined ? undefined : [best, limits.get(best)!];
  };

  return {
    take(api) {
      const found = limitFor(api);
      if (!found) return undefined;
      const [key, limit] = found;
      const now = clock.now().getTime();
      const w = (windows.get(`${key}|${api}`) ?? []).filter((t) => t > now - 60_000);
      if (w.length >= limit) {
        windows.set(`${key}|${api}`, w);
        return limit;
      }
      w.push(now);
      windows.set(`${key}|${api}`, w);
      return undefined;
    },
    set(api, perMinute) {
      if (perMinute === undefined) limits.delete(api);
      else limits.set(api, perMinute);
    },
    limits: () => Object.fromEntries(limits),
    clear() {
      windows.clear();
    },
  };
}
