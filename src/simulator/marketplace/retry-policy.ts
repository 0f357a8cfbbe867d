/**
 * How long and how often the marketplace resends a call the seller failed (spec §10). The spec
 * gives the windows; it gives the interval only for new purchases and upgrades (hourly), so the
 * release, renewal and status intervals below are this simulator's choice.
 */
export interface RetryPolicy {
  /** Time between two attempts. */
  intervalMs: number;
  /** No attempt starts later than this after the first one. */
  windowMs: number;
}

export type RetryKind = 'purchase' | 'renewal' | 'release' | 'status';

const hour = 3_600_000;

export const defaultRetryPolicies: Record<RetryKind, RetryPolicy> = {
  /** New purchase and upgrade: hourly for 3 hours, then the order is cancelled. */
  purchase: { intervalMs: hour, windowMs: 3 * hour },
  /** V1 refreshInstance: for 1 hour; every 20 minutes. */
  renewal: { intervalMs: hour / 3, windowMs: hour },
  /** V1 releaseInstance: for 1 hour; every 20 minutes. */
  release: { intervalMs: hour / 3, windowMs: hour },
  /** V1 expireInstance (freeze/unfreeze alike): for 1 hour; every 20 minutes. */
  status: { intervalMs: hour / 3, windowMs: hour },
};

/** Offsets (ms after the first attempt) of every attempt a policy allows: 0, i, 2i, ... ≤ window. */
export function attemptOffsets(policy: RetryPolicy): number[] {
  const out = [0];
  if (policy.intervalMs <= 0) return out;
  for (let t = policy.intervalMs; t <= policy.windowMs; t += policy.intervalMs) out.push(t);
  return out;
}
