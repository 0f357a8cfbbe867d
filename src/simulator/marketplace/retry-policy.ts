/**
 * How long and how often the marketplace resends a call the seller failed (spec §7). The spec
 * gives the windows; it gives the interval only for new purchases and upgrades (hourly), so the
 * release and renewal intervals below are this simulator's choice.
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
  /** Renewal: 1–2 hours; every 30 minutes for 2 hours. */
  renewal: { intervalMs: hour / 2, windowMs: 2 * hour },
  /** Release: for 1 hour; every 20 minutes. */
  release: { intervalMs: hour / 3, windowMs: hour },
  /** Expiry and freeze/unfreeze are not documented; treated like renewals. */
  status: { intervalMs: hour / 2, windowMs: 2 * hour },
};

/** Offsets (ms after the first attempt) of every attempt a policy allows: 0, i, 2i, ... ≤ window. */
export function attemptOffsets(policy: RetryPolicy): number[] {
  const out = [0];
  if (policy.intervalMs <= 0) return out;
  for (let t = policy.intervalMs; t <= policy.windowMs; t += policy.intervalMs) out.push(t);
  return out;
}
