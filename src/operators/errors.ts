/**
 * Errors of the operator surfaces, mapped once: the CLI to exit codes, the admin API to HTTP
 * statuses. The engine's `ActionRefused` (NOT_FOUND, CONFLICT, INVALID_REQUEST) maps the same way.
 */
export class InputError extends Error {
  override name = 'InputError';
  readonly code = 'INVALID_REQUEST';
}

export class NotFound extends Error {
  override name = 'NotFound';
  readonly code = 'NOT_FOUND';
}

export type OperatorErrorCode = 'NOT_FOUND' | 'CONFLICT' | 'INVALID_REQUEST' | 'UNAVAILABLE';

/** The code of an error operators caused (bad input, unknown id, refused), or undefined. */
export function operatorErrorCode(err: unknown): OperatorErrorCode | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as { code?: unknown }).code;
  if (
    (err.name === 'ActionRefused' || err instanceof InputError || err instanceof NotFound) &&
    (code === 'NOT_FOUND' || code === 'CONFLICT' || code === 'INVALID_REQUEST')
  )
    return code;
  if (err.name === 'Unavailable') return 'UNAVAILABLE';
  return undefined;
}

/** A capability this process was not given (no cloud for the sweep, no gateway for replays). */
export class Unavailable extends Error {
  override name = 'Unavailable';
  readonly code = 'UNAVAILABLE';
}
