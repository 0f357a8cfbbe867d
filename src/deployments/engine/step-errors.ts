import {
  Cancelled,
  CapacityExhausted,
  type CapacityScope,
  messageOf,
  Permanent,
  Retryable,
} from '../../platform/errors.js';

/**
 * A step's failure as it is checkpointed: the error contract's class, message and code. The
 * durable runner stores outcomes as JSON, so a replayed step rethrows the same class the first
 * run threw, and the flow branches on it the same way (a deserialised Error would lose it).
 */
export interface EncodedError {
  class: 'Retryable' | 'Permanent' | 'CapacityExhausted' | 'Cancelled';
  message: string;
  code?: string | undefined;
  /** CapacityExhausted only: what the refusal rules out. */
  scope?: CapacityScope | undefined;
}

export type StepOutcome<T> = { ok: true; value: T } | { ok: false; error: EncodedError };

export function encodeError(err: unknown): EncodedError {
  const message = messageOf(err);
  if (err instanceof Cancelled) return { class: 'Cancelled', message };
  if (err instanceof CapacityExhausted)
    return { class: 'CapacityExhausted', message, code: err.code, scope: err.scope };
  if (err instanceof Permanent) return { class: 'Permanent', message, code: err.code };
  if (err instanceof Retryable) return { class: 'Retryable', message, code: err.code };
  // Unclassified (a bug, an unexpected library error): retrying blindly could repeat a side
  // effect, so it fails the step and an operator looks.
  return { class: 'Permanent', message: `unexpected: ${message}`, code: 'unexpected' };
}

export function decodeError(e: EncodedError): Error {
  const options = e.code === undefined ? {} : { code: e.code };
  switch (e.class) {
    case 'Cancelled':
      return new Cancelled(e.message);
    case 'CapacityExhausted':
      return new CapacityExhausted(e.message, { ...options, scope: e.scope ?? 'az' });
    case 'Retryable':
      return new Retryable(e.message, options);
    case 'Permanent':
      return new Permanent(e.message, options);
  }
}
