/**
 * Cloud failures, classified once, here: the adapter turns every SDK exception and every failed
 * job into a `CloudError` whose `kind` tells the engine what to do.
 *
 * - `retryable`: throttling (429 APIGW.0308), 5xx, network errors and timeouts. The adapter has
 *   already retried these with backoff; the engine may retry the step later.
 * - `permanent`: quota, bad parameters, password complexity, frozen account, authentication.
 *   Retrying cannot help; an operator must act (the message says what to check).
 * - `capacity`: the flavor is sold out or the AZ lacks capacity: try another AZ or flavor.
 * - `not-found`: the resource does not exist.
 * - `conflict`: the resource is in use (409): retry after what uses it is gone.
 *
 * @example
 *   try { await cloud.createServer(input) } catch (e) {
 *     if (e instanceof CloudError && e.kind === 'capacity') pickAnotherAz();
 *   }
 */
export type CloudErrorKind = 'retryable' | 'permanent' | 'capacity' | 'not-found' | 'conflict';

export interface CloudErrorDetails {
  kind: CloudErrorKind;
  /** The cloud's code (Ecs.0001, APIGW.0308, VPC.0602...) or a kgd.* code for local failures. */
  code: string;
  /** The API call that failed, e.g. `ecs.createPostPaidServers`. */
  operation: string;
  httpStatus?: number;
  requestId?: string;
  /** A wait the cloud asked for (throttling), before backoff jitter. */
  retryAfterMs?: number;
  cause?: unknown;
}

export class CloudError extends Error {
  override name = 'CloudError';
  readonly kind: CloudErrorKind;
  readonly code: string;
  readonly operation: string;
  readonly httpStatus: number | undefined;
  readonly requestId: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, details: CloudErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = details.kind;
    this.code = details.code;
    this.operation = details.operation;
    this.httpStatus = details.httpStatus;
    this.requestId = details.requestId;
    this.retryAfterMs = details.retryAfterMs;
  }

  get retryable(): boolean {
    return this.kind === 'retryable' || this.kind === 'conflict';
  }
}

export function isCloudError(err: unknown, kind?: CloudErrorKind): err is CloudError {
  return err instanceof CloudError && (kind === undefined || err.kind === kind);
}

/** What the SDK's ClientRequestException / ServerResponseException / ServiceResponseException hold. */
export interface SdkFailure {
  httpStatusCode?: number;
  errorCode?: string;
  errorMsg?: string;
  requestId?: string;
}

export interface ClassifyContext {
  operation: string;
  region: string;
}

/** Message fragments (English and Chinese) the cloud uses when a flavor or AZ has no capacity. */
const capacityPatterns = [
  /sold\s*out/i,
  /soldout/i,
  /insufficient (resource|capacity|host)/i,
  /capacity (is )?(insufficient|not enough)/i,
  /no valid host/i,
  /not enough hosts/i,
  /resources? (are |is )?not enough/i,
  /is abandoned/i,
  /售罄/,
  /资源不足/,
  /容量不足/,
];

/**
 * Codes that mean "this flavor cannot be had here": Ecs.0319 (flavor capacity insufficient),
 * Ecs.0019 (flavor abandoned in this AZ). Other capacity failures are recognised by message.
 */
const capacityCodes = new Set(['Ecs.0319', 'Ecs.0019']);

export function looksLikeCapacity(code: string | undefined, reason: string | undefined): boolean {
  if (code && capacityCodes.has(code)) return true;
  return capacityPatterns.some((p) => p.test(reason ?? ''));
}

/** Ecs.0001 instances/cores/RAM, Ecs.0013 EIPs, VPC.0114 VPCs (answered as 409). */
const quotaCodes = new Set(['Ecs.0001', 'Ecs.0013', 'VPC.0114']);

function describe(f: SdkFailure): string {
  const parts = [f.errorCode, f.errorMsg].filter(Boolean).join(': ');
  return parts || 'no detail';
}

/** Turns whatever the SDK threw into a CloudError with an operator-facing message. */
export function classifySdkFailure(err: unknown, ctx: ClassifyContext): CloudError {
  if (err instanceof CloudError) return err;
  const f = (typeof err === 'object' && err !== null ? err : {}) as SdkFailure;
  const status = typeof f.httpStatusCode === 'number' ? f.httpStatusCode : undefined;
  const code = f.errorCode ?? (status ? `HTTP.${status}` : 'kgd.network');
  const msg = f.errorMsg ?? (err instanceof Error ? err.message : String(err));
  const base = {
    code,
    operation: ctx.operation,
    httpStatus: status,
    requestId: f.requestId || undefined,
    cause: err,
  };
  const where = `${ctx.operation} in ${ctx.region}`;
  const detail = describe({ ...f, errorCode: code, errorMsg: msg });

  if (status === undefined) {
    return new CloudError(
      `${where}: no answer from the cloud (${msg}); check network access to the endpoint, it will be retried`,
      { ...base, kind: 'retryable' },
    );
  }
  if (status === 429 || code === 'APIGW.0308') {
    return new CloudError(
      `${where}: throttled by the API gateway (${detail}); calls are slowed down and retried`,
      { ...base, kind: 'retryable', retryAfterMs: 2000 },
    );
  }
  if (status >= 500) {
    return new CloudError(`${where}: cloud-side error (${detail}); it will be retried`, {
      ...base,
      kind: 'retryable',
    });
  }
  if (status === 401 || code === 'APIGW.0301' || code === 'APIGW.0303') {
    return new CloudError(
      `${where}: authentication refused (${detail}); check KGD_CLOUD_AK / KGD_CLOUD_SK, the project id and the machine clock`,
      { ...base, kind: 'permanent' },
    );
  }
  if (quotaCodes.has(code) || /quota/i.test(msg)) {
    return new CloudError(
      `${where}: quota exhausted (${detail}); raise the quota in region ${ctx.region} or release resources`,
      { ...base, kind: 'permanent' },
    );
  }
  if (status === 403 || code === 'Ecs.0003') {
    return new CloudError(
      `${where}: account restricted (${detail}); check the account balance, freezing or IAM permissions`,
      { ...base, kind: 'permanent' },
    );
  }
  if (code === 'Ecs.0011') {
    return new CloudError(
      `${where}: password refused (${detail}); it needs 8-26 characters with three of: upper case, lower case, digits, special characters`,
      { ...base, kind: 'permanent' },
    );
  }
  if (looksLikeCapacity(code, msg)) {
    return new CloudError(
      `${where}: no capacity (${detail}); try another availability zone or flavor`,
      { ...base, kind: 'capacity' },
    );
  }
  if (status === 404) {
    return new CloudError(`${where}: not found (${detail})`, { ...base, kind: 'not-found' });
  }
  if (status === 409) {
    return new CloudError(
      `${where}: still in use (${detail}); it will be retried once what uses it is gone`,
      { ...base, kind: 'conflict', retryAfterMs: 3000 },
    );
  }
  return new CloudError(
    `${where}: request refused (${detail}); check the parameters (image, flavor, AZ, network ids) for region ${ctx.region}`,
    { ...base, kind: 'permanent' },
  );
}

/** A job that ended in FAIL: capacity when the reason says so, permanent otherwise. */
export function classifyJobFailure(
  job: { id: string; type: string; errorCode?: string; failReason?: string },
  ctx: ClassifyContext,
): CloudError {
  const detail = [job.errorCode, job.failReason].filter(Boolean).join(': ') || 'no reason given';
  const base = { code: job.errorCode ?? 'kgd.job-failed', operation: ctx.operation };
  if (looksLikeCapacity(job.errorCode, job.failReason)) {
    return new CloudError(
      `job ${job.id} (${job.type}) in ${ctx.region} failed for lack of capacity (${detail}); try another availability zone or flavor`,
      { ...base, kind: 'capacity' },
    );
  }
  if (job.errorCode === 'Ecs.0001' || /quota/i.test(job.failReason ?? '')) {
    return new CloudError(
      `job ${job.id} (${job.type}) in ${ctx.region} failed: quota exhausted (${detail}); raise the quota or release resources`,
      { ...base, kind: 'permanent' },
    );
  }
  return new CloudError(
    `job ${job.id} (${job.type}) in ${ctx.region} failed (${detail}); see the ECS console's task list for the details`,
    { ...base, kind: 'permanent' },
  );
}
