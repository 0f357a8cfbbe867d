import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import { type ActiveSpan, inSpan, type SpanAttributes } from '../platform/tracing.js';
import { refineAccessFailure } from './access-refused.js';
import {
  CloudConflict,
  CloudNotFound,
  CloudRetryable,
  classifySdkFailure,
  longWaitMs,
} from './errors.js';

export interface RetryPolicy {
  /** Attempts in total, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface CallerDeps {
  region: string;
  logger: Logger;
  retry: RetryPolicy;
  /** Backoff waits sleep on it. */
  clock: Clock;
  random: () => number;
  /**
   * Temporary keys (a buyer's account): `prepare` runs before every attempt and refreshes them
   * when they near expiry, `renew` gets new ones after the cloud answered that they expired.
   */
  keys?: { prepare(): Promise<unknown>; renew(refused: unknown): Promise<void> };
}

interface CallOptions {
  /** False for calls whose repetition could duplicate a resource and that handle it themselves. */
  retry?: boolean;
  /** Also retry 409 in-use answers (deletes waiting for what uses the resource to go). */
  retryConflicts?: boolean;
  /** Log context (ids, never secrets). */
  context?: Record<string, unknown>;
}

export type Call = <T>(
  operation: string,
  fn: () => Promise<T>,
  options?: CallOptions,
) => Promise<T>;

const expiredKeys = (err: { httpStatus?: number | undefined; message: string }) =>
  err.httpStatus === 401 && /token expire/i.test(err.message);

/**
 * Exponential backoff with full jitter. When the error names a short wait (in use 3 s, VPC not
 * active 5 s), that wait is the floor and the base of the exponential. Longer waits (a per-minute
 * gateway limit) are left to the caller: see `createCaller`.
 */
export function retryDelayMs(
  attempt: number,
  err: { retryAfterMs?: number | undefined },
  policy: RetryPolicy,
  random: () => number,
): number {
  const floor = err.retryAfterMs ?? 0;
  const base = floor > 0 ? floor : policy.baseDelayMs;
  const ceiling = Math.min(policy.maxDelayMs, base * 2 ** (attempt - 1));
  return Math.round(floor + random() * ceiling);
}

/**
 * Wraps every SDK call: classifies what it throws (once, with errors.ts), retries the retryable
 * ones with backoff on the clock (in-use conflicts only when asked; those naming a wait of a
 * minute or more are thrown at once with their `retryAfterMs`), and logs failures through
 * the project's redacting logger (the SDK's own logging is silenced because it prints
 * Authorization headers and passwords).
 */
export function createCaller(deps: CallerDeps): Call {
  return function call<T>(
    operation: string,
    fn: () => Promise<T>,
    options: CallOptions = {},
  ): Promise<T> {
    // One span per call, its retries included: the operation and the ids of the log context.
    const attributes: SpanAttributes = {
      'kgd.cloud.operation': operation,
      'kgd.cloud.region': deps.region,
    };
    for (const [k, v] of Object.entries(options.context ?? {}))
      if (typeof v === 'string' || typeof v === 'number') attributes[`kgd.cloud.${k}`] = v;
    return inSpan(`cloud ${operation}`, attributes, (span) =>
      callWithRetries(operation, fn, options, span),
    );
  };

  async function callWithRetries<T>(
    operation: string,
    fn: () => Promise<T>,
    options: CallOptions,
    span: ActiveSpan,
  ): Promise<T> {
    const attempts = options.retry === false ? 1 : deps.retry.attempts;
    let renewed = false;
    for (let attempt = 1; ; attempt++) {
      /** The keys this attempt is signed with. */
      let used: unknown;
      try {
        used = await deps.keys?.prepare();
        return await fn();
      } catch (raw) {
        const err = refineAccessFailure(
          classifySdkFailure(raw, { operation, region: deps.region }),
          deps.region,
        );
        // Expired between our check and the cloud's (clocks differ): renew once and resend. The
        // gateway refused the call, so resending cannot duplicate anything.
        if (deps.keys && !renewed && expiredKeys(err)) {
          renewed = true;
          deps.logger.info({ operation }, 'temporary credentials expired; renewing them');
          await deps.keys.renew(used);
          attempt--;
          continue;
        }
        // A wait of a minute or more (throttling, Ecs.0603, Ecs.0501) is not slept here: the
        // caller (a step, a poll loop) waits on the clock, cancellable and within its budget.
        const retryable =
          err instanceof CloudRetryable &&
          (err.retryAfterMs ?? 0) < longWaitMs &&
          (options.retryConflicts === true || !(err instanceof CloudConflict));
        const willRetry = retryable && attempt < attempts;
        span.setAttributes({
          'kgd.cloud.attempts': attempt,
          'kgd.cloud.error_code': err.code,
          'kgd.cloud.http_status': err.httpStatus,
          'kgd.cloud.request_id': err.requestId,
        });
        const fields = {
          operation,
          error: err.name,
          code: err.code,
          httpStatus: err.httpStatus,
          requestId: err.requestId,
          attempt,
          ...options.context,
        };
        if (!willRetry) {
          if (!(err instanceof CloudNotFound)) deps.logger.warn(fields, err.message);
          throw err;
        }
        const delayMs = retryDelayMs(attempt, err, deps.retry, deps.random);
        deps.logger.info({ ...fields, delayMs }, `${operation} failed (${err.code}); retrying`);
        await deps.clock.sleep(delayMs);
      }
    }
  }
}
