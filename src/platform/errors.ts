/**
 * The one error contract. Adapters (cloud, SSH, order API, database) classify each failure once
 * into one of these; everything else branches on `instanceof` only, never on a name, a message or
 * a flag.
 *
 * - `Retryable`: may succeed later (throttling, 5xx, a dropped connection, sshd still booting, a
 *   resource still in use). `retryAfterMs` is a wait the other side asked for.
 * - `Permanent`: retrying cannot help; an operator must act (the message says what to check).
 * - `CapacityExhausted`: a `Permanent` failure of one choice (flavor sold out in an AZ) that the
 *   deploy answers with the next AZ or flavor. `scope` says which: `az` (this flavor here: the
 *   next AZ may have it) or `flavor` (retired, private, unknown: no AZ will, go to the next flavor).
 * - `Cancelled`: the operation was asked to stop (a release arrived, an operator cancelled it).
 *
 * `code` is the other side's code (Ecs.0319, APIGW.0308, auth-failed...) when there is one.
 *
 * @example
 *   throw new Retryable(`timed out after ${s} s waiting for ${what}`);
 *   shouldRetry: (err) => err instanceof Retryable,
 */
export interface ErrorOptions {
  cause?: unknown;
  code?: string;
}

export class Retryable extends Error {
  override name = 'Retryable';
  readonly code: string | undefined;
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: ErrorOptions & { retryAfterMs?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export class Permanent extends Error {
  override name = 'Permanent';
  readonly code: string | undefined;
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
  }
}

/** What a capacity refusal rules out: the flavor in this AZ, or the flavor everywhere. */
export type CapacityScope = 'az' | 'flavor';

export class CapacityExhausted extends Permanent {
  override name = 'CapacityExhausted';
  readonly scope: CapacityScope;
  constructor(message: string, options: ErrorOptions & { scope?: CapacityScope } = {}) {
    super(message, options);
    this.scope = options.scope ?? 'az';
  }
}

export class Cancelled extends Error {
  override name = 'Cancelled';
}

/**
 * A problem with the machine or the setup that an operator fixes (a directory PostgreSQL cannot
 * enter, missing binaries, a bad configuration value): printed as its message alone, no stack.
 */
export class SetupError extends Error {
  override name = 'SetupError';
}

/**
 * Why an operator action (CLI, admin API, dashboard) was refused: a closed set, mapped once to an
 * HTTP status and a CLI exit code.
 */
const actionErrorCodes = {
  INVALID_REQUEST: { http: 400, exit: 2 },
  UNAUTHENTICATED: { http: 401, exit: 1 },
  FORBIDDEN: { http: 403, exit: 1 },
  NOT_FOUND: { http: 404, exit: 3 },
  CONFLICT: { http: 409, exit: 4 },
  UNAVAILABLE: { http: 503, exit: 1 },
} as const;

export type ActionErrorCode = keyof typeof actionErrorCodes;

export class ActionError extends Error {
  override name = 'ActionError';
  constructor(
    readonly code: ActionErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  get httpStatus(): 400 | 401 | 403 | 404 | 409 | 503 {
    return actionErrorCodes[this.code].http;
  }
  get exitCode(): number {
    return actionErrorCodes[this.code].exit;
  }
}

/** The message of whatever was thrown (an Error's, or its string form). */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The code of an operator action's refusal, or undefined for anything else. */
export const actionCode = (err: unknown): ActionErrorCode | undefined =>
  err instanceof ActionError ? err.code : undefined;
