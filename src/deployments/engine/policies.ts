/**
 * Named retry policies and timeouts per kind of step (never literals at call sites). A step
 * failing with `Retryable` is tried again after `intervalMs`, growing by `backoffRate` (or after
 * the wait the other side asked for, when longer); anything else fails the step at once.
 */
export interface StepPolicy {
  /** Attempts after the first, for `Retryable` failures. */
  retries: number;
  intervalMs: number;
  backoffRate: number;
}

export const stepPolicies = {
  /** Cloud calls: the adapter already retried throttling and 5xx; this rides out longer outages. */
  cloud: { retries: 4, intervalMs: 5_000, backoffRate: 2 },
  /** SSH work: a dropped connection or a reboot in progress. */
  ssh: { retries: 3, intervalMs: 5_000, backoffRate: 2 },
  /** A lifecycle hook that timed out: once more, then an operator looks. */
  hook: { retries: 1, intervalMs: 10_000, backoffRate: 1 },
  /** Marketplace open APIs (the license upload): a transient answer, then the fallback host. */
  marketplace: { retries: 6, intervalMs: 10_000, backoffRate: 2 },
  /** Database and local work. */
  local: { retries: 3, intervalMs: 1_000, backoffRate: 2 },
  /** Waits that already retry inside (jobs, SSH readiness, health). */
  none: { retries: 0, intervalMs: 1_000, backoffRate: 1 },
} satisfies Record<string, StepPolicy>;

export type PolicyName = keyof typeof stepPolicies;

/** The wait before attempt `attempt + 1` (attempt counts from 1). */
export function retryDelayMs(policy: StepPolicy, attempt: number, retryAfterMs?: number): number {
  return Math.max(policy.intervalMs * policy.backoffRate ** (attempt - 1), retryAfterMs ?? 0);
}

/** How often a running step looks whether its operation was cancelled. */
export const cancelCheckIntervalMs = 1_000;

export const timeouts = {
  networkReadyMs: 5 * 60_000,
  serverJobMs: 30 * 60_000,
  serverActiveMs: 10 * 60_000,
  powerJobMs: 10 * 60_000,
  deleteJobMs: 30 * 60_000,
  resizeJobMs: 30 * 60_000,
  uploadMs: 30 * 60_000,
  teardownVerifyMs: 10 * 60_000,
  /** One attempt of an SSH handshake while waiting for sshd. */
  sshAttemptMs: 10_000,
  healthRequestMs: 5_000,
  healthCommandMs: 30_000,
  defaultHookSeconds: {
    install: 600,
    start: 120,
    poststart: 300,
    restart: 120,
    prestop: 120,
    stop: 120,
    update: 300,
    uninstall: 300,
  } as Record<string, number>,
  defaultHookFallbackSeconds: 300,
};
