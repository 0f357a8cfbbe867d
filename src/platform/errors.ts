/**
 * The closed set of error codes the service answers with, each mapped once to its HTTP status
 * (admin API, buyer pages) and to its KooGallery result code (spec §3). One body shape
 * everywhere: `{ error: { code, message } }` over HTTP, `{ resultCode, resultMsg }` to KooGallery.
 */
export const errorCodes = {
  AUTH_FAILED: { http: 401, market: '000001' },
  FORBIDDEN: { http: 403, market: '000001' },
  INVALID_REQUEST: { http: 400, market: '000002' },
  NOT_FOUND: { http: 404, market: '000003' },
  IN_PROGRESS: { http: 202, market: '000004' },
  INTERNAL: { http: 500, market: '000005' },
  UNAVAILABLE: { http: 503, market: '000005' },
  CONFLICT: { http: 409, market: '000005' },
  NO_RESOURCE: { http: 503, market: '000100' },
  ALREADY_PURCHASED: { http: 409, market: '000103' },
  SOLD_OUT: { http: 503, market: '000106' },
  LICENSE_QUOTA: { http: 409, market: '000900' },
  LICENSE_PERIOD: { http: 409, market: '000901' },
  LICENSE_EXPIRY_MISSING: { http: 400, market: '000902' },
  LICENSE_FINGERPRINT_MISSING: { http: 400, market: '000903' },
} as const;

export type ErrorCode = keyof typeof errorCodes;

export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  get httpStatus(): number {
    return errorCodes[this.code].http;
  }
  get resultCode(): string {
    return errorCodes[this.code].market;
  }
  toBody() {
    return { error: { code: this.code, message: this.message } };
  }
}

/**
 * A problem with the machine or the setup that an operator fixes (a directory PostgreSQL cannot
 * enter, missing binaries): printed as its message alone, no stack trace.
 */
export class SetupError extends Error {
  override name = 'SetupError';
}
