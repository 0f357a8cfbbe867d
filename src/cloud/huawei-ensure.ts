import { CloudError, isCloudError } from './errors.js';
import { type RetryPolicy, retryDelayMs } from './huawei-call.js';

export interface EnsureDeps {
  retry: RetryPolicy;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  /** Poll readiness at this fixed interval instead of adaptively (benchmark reference). */
  pollIntervalMs?: number;
}

/**
 * Look before you create, and look again after a failed create: a create whose answer was lost
 * (timeout, 5xx after the fact) may have succeeded, and VPC, subnet and security-group creates
 * carry no idempotency token. So the create itself is never retried blindly; the lookup is redone.
 */
export async function findOrCreate<T>(
  deps: EnsureDeps,
  find: () => Promise<T | undefined>,
  create: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const existing = await find();
    if (existing !== undefined) return existing;
    try {
      return await create();
    } catch (e) {
      if (!isCloudError(e, 'retryable') || attempt >= deps.retry.attempts) throw e;
      await deps.sleep(retryDelayMs(attempt, e, deps.retry, deps.random));
    }
  }
}

/**
 * Polls a status until it is `ready`, every 5 % of the time already waited (0.2 s at first, at
 * most 5 s: a wait overshoots its end by about 5 %), within a budget counted in slept
 * milliseconds (so a test's instant sleep makes it instant too).
 */
export async function waitForStatus(
  deps: Pick<EnsureDeps, 'sleep' | 'pollIntervalMs'>,

  what: { operation: string; description: string; budgetMs: number },
  status: () => Promise<string | undefined>,
  ready: string,
  failed: string[] = ['ERROR'],
): Promise<void> {
  let slept = 0;
  for (;;) {
    const s = await status();
    if (s === ready) return;
    if (s !== undefined && failed.includes(s)) {
      throw new CloudError(`${what.description} went to ${s}; check it in the VPC console`, {
        kind: 'permanent',
        code: 'kgd.resource-error',
        operation: what.operation,
      });
    }
    if (slept >= what.budgetMs) {
      throw new CloudError(
        `${what.description} still ${s ?? 'absent'} after ${Math.round(slept / 1000)} s; it will be retried`,
        { kind: 'retryable', code: 'kgd.not-ready', operation: what.operation },
      );
    }
    const delay = deps.pollIntervalMs ?? Math.min(5000, Math.max(200, slept * 0.05));

    await deps.sleep(delay);
    slept += delay;
  }
}
