/**
 * Retry with exponential backoff and full jitter, for calls outside a durable workflow (the
 * marketplace order query, the cloud adapter's HTTP calls). Inside workflows DBOS step retries
 * apply instead. Sleep and randomness are injected so tests run the whole schedule instantly.
 *
 * @example
 *   await retry(() => fetchOrder(id), { ...policies.orderQuery, isRetryable: (e) => e instanceof RetryableError });
 */
export interface RetryPolicy {
  /** Attempts in total, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface RetryOptions extends RetryPolicy {
  isRetryable: (err: unknown) => boolean;
  /** A server-requested wait (Retry-After), overriding the backoff when longer. */
  retryAfterMs?: (err: unknown) => number | undefined;
  /** The clock's sleep, usually `(ms) => clock.sleep(ms, signal)`. */
  sleep: (ms: number) => Promise<void>;
  random?: () => number;
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
}

function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(random() * ceiling);
}

export async function retry<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const { sleep } = options;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= options.attempts || !options.isRetryable(error)) throw error;
      const delayMs = Math.max(
        backoffDelay(attempt, options, random),
        options.retryAfterMs?.(error) ?? 0,
      );
      options.onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs);
    }
  }
}
