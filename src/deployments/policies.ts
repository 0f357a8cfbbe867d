import type { StepConfig } from '@dbos-inc/dbos-sdk';
import { Permanent, Retryable } from '../platform/errors.js';

/**
 * Named retry policies and timeouts per kind of step (never literals at call sites). `scale`
 * shrinks every wait for tests and time-scaled benchmarks; production uses 1.
 */
export interface StepPolicy {
  /** Attempts after the first, for errors the adapter classified as retryable. */
  retries: number;
  intervalSeconds: number;
  backoffRate: number;
}

export const stepPolicies = {
  /** Cloud calls: the adapter already retried throttling and 5xx; this rides out longer outages. */
  cloud: { retries: 4, intervalSeconds: 5, backoffRate: 2 },
  /** SSH work: a dropped connection or a reboot in progress. */
  ssh: { retries: 3, intervalSeconds: 5, backoffRate: 2 },
  /** A lifecycle hook that timed out: once more, then an operator looks. */
  hook: { retries: 1, intervalSeconds: 10, backoffRate: 1 },
  /** Database and local work. */
  local: { retries: 3, intervalSeconds: 1, backoffRate: 2 },
  /** Waits that already retry inside (jobs, SSH readiness, health). */
  none: { retries: 0, intervalSeconds: 1, backoffRate: 1 },
} satisfies Record<string, StepPolicy>;

export type PolicyName = keyof typeof stepPolicies;

export const timeouts = {
  networkReadyMs: 5 * 60_000,
  serverJobMs: 30 * 60_000,
  serverActiveMs: 10 * 60_000,
  powerJobMs: 10 * 60_000,
  deleteJobMs: 30 * 60_000,
  resizeJobMs: 30 * 60_000,
  uploadMs: 30 * 60_000,
  teardownVerifyMs: 10 * 60_000,
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
};

export function isRetryable(err: unknown): boolean {
  if (err instanceof Retryable) return true;
  if (err instanceof Permanent) return false;
  const e = err as { retryable?: unknown; kind?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (typeof e.retryable === 'boolean') return e.retryable;
  return e.kind === 'retryable' || e.kind === 'conflict';
}

export function dbosStepConfig(name: string, policy: StepPolicy, scale: number): StepConfig {
  return {
    name,
    retriesAllowed: policy.retries > 0,
    maxAttempts: policy.retries + 1,
    intervalSeconds: Math.max(0.001, policy.intervalSeconds * scale),
    backoffRate: policy.backoffRate,
    shouldRetry: isRetryable,
  };
}

/**
 * Adaptive polling: soon at first, then a fixed fraction of the time already waited (so a wait
 * overshoots its end by at most ~2 %), never more than 10 s apart.
 */
export function pollDelayMs(elapsedMs: number, scale: number): number {
  const min = 200 * scale;
  const max = 10_000 * scale;
  return Math.min(max, Math.max(min, elapsedMs * 0.02));
}
