import type { Clock } from '../platform/clock.js';
import { type PollDelay, pollDelays, pollUntil } from '../platform/poll.js';
import { CloudPermanent, CloudRetryable, longWaitMs } from './errors.js';
import { type RetryPolicy, retryDelayMs } from './huawei-call.js';

export interface EnsureDeps {
  retry: RetryPolicy;
  clock: Clock;
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
      // Waits of a minute or more (throttling) are the caller's, as in createCaller.
      if (!(e instanceof CloudRetryable) || (e.retryAfterMs ?? 0) >= longWaitMs) throw e;
      if (attempt >= deps.retry.attempts) throw e;
      await deps.clock.sleep(retryDelayMs(attempt, e, deps.retry, deps.random));
    }
  }
}

/**
 * Polls a status on the clock until it is `ready` (`pollUntil`: adaptive, or every
 * `pollIntervalMs`); a `failed` status is `Permanent`, the budget running out `Retryable`.
 */
export async function waitForStatus(
  deps: Pick<EnsureDeps, 'clock' | 'pollIntervalMs'>,
  what: { operation: string; description: string; budgetMs: number },
  status: () => Promise<string | undefined>,
  ready: string,
  failed: string[] = ['ERROR'],
): Promise<void> {
  const delay: PollDelay | undefined = deps.pollIntervalMs
    ? pollDelays.fixed(deps.pollIntervalMs)
    : undefined;
  await pollUntil(
    `${what.description} to be ${ready}`,
    { clock: deps.clock, timeoutMs: what.budgetMs, ...(delay ? { delay } : {}) },
    async () => {
      const s = await status();
      if (s === ready) return true;
      if (s !== undefined && failed.includes(s)) {
        throw new CloudPermanent(`${what.description} went to ${s}; check it in the VPC console`, {
          code: 'kgd.resource-error',
          operation: what.operation,
        });
      }
      return undefined;
    },
  );
}
