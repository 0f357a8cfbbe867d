/**
 * Named retry policies and timeouts per kind of step (never literals at call sites). A step
 * failing with `Retryable` is tried again after `intervalMs`, growing by `backoffRate` up to
 * `maxIntervalMs` (or after the wait the other side asked for, when longer), plus up to 20 %
 * jitter so replicas do not retry in step; anything else fails the step at once. With a
 * `budgetMs`, retries also stop once the next attempt would start past the budget.
 */
export interface StepPolicy {
  /** Attempts after the first, for `Retryable` failures. */
  retries: number;
  intervalMs: number;
  backoffRate: number;
  /** The longest wait between attempts, before jitter. */
  maxIntervalMs?: number;
  /** How long the step may keep retrying, from its first attempt. */
  budgetMs?: number;
}

/**
 * Cloud steps keep retrying throttling and transient answers for this long by default: the
 * gateway's limits are per minute and Ecs.0603 asks for a minute, so budgets are in minutes
 * (Terraform's provider waits 1, 2, 4, 8, 16 minutes). A product template sets its own
 * (`retry.cloudBudgetSeconds`).
 */
const defaultCloudBudgetMs = 30 * 60_000;

export const stepPolicies = {
  /** Cloud calls: the adapter retried short failures; this rides out throttling and outages. */
  cloud: {
    retries: 20,
    intervalMs: 5_000,
    backoffRate: 2,
    maxIntervalMs: 5 * 60_000,
    budgetMs: defaultCloudBudgetMs,
  },
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

/**
 * Pauses before a step runs again after the database was unavailable to it (a dropped
 * connection, a pool with no free connection in time): whatever the step's own policy, since the
 * step's work is sound. Used where no lease tells when the database answers again.
 */
export const databaseRetry: StepPolicy = {
  retries: Number.POSITIVE_INFINITY,
  intervalMs: 1_000,
  backoffRate: 2,
  maxIntervalMs: 30_000,
};

/** The cloud policy with a product's budget (`DeployPlan.cloudRetryBudgetMs`). */
export const cloudPolicy = (budgetMs: number | undefined): StepPolicy => ({
  ...stepPolicies.cloud,
  budgetMs: budgetMs ?? defaultCloudBudgetMs,
});

/**
 * The wait before attempt `attempt + 1` (attempt counts from 1): the policy's backoff or the
 * wait asked for, whichever is longer, plus jitter of up to 20 % (`random` in [0, 1)).
 */
export function retryDelayMs(
  policy: StepPolicy,
  attempt: number,
  retryAfterMs?: number,
  random: () => number = () => 0,
): number {
  const backoff = Math.min(
    policy.maxIntervalMs ?? Number.POSITIVE_INFINITY,
    policy.intervalMs * policy.backoffRate ** (attempt - 1),
  );
  const wait = Math.max(backoff, retryAfterMs ?? 0);
  return Math.round(wait * (1 + 0.2 * random()));
}

/** The waits a policy allows between attempts without jitter, as its budget cuts them. */
export function retrySchedule(policy: StepPolicy, retryAfterMs?: number): number[] {
  const waits: number[] = [];
  let spent = 0;
  for (let n = 1; n <= policy.retries; n++) {
    const wait = retryDelayMs(policy, n, retryAfterMs);
    if (policy.budgetMs !== undefined && spent + wait > policy.budgetMs) break;
    spent += wait;
    waits.push(wait);
  }
  return waits;
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
