import { CapacityExhausted, type CapacityScope, Permanent, Retryable } from '../platform/errors.js';
import type { CloudJob } from './cloud-api.js';

/**
 * Cloud failures, classified once, here: the adapter turns every SDK exception and every failed
 * job into one of the platform's error classes. Callers branch on those alone:
 *
 * - `Retryable` (`CloudRetryable`): throttling (429 APIGW.0308), 5xx, network errors, timeouts,
 *   a resource still in use (409). The adapter has already retried these with backoff; the
 *   caller may try again later (`retryAfterMs` when the cloud or our policy names a wait).
 * - `Permanent` (`CloudPermanent`): quota, bad parameters, password complexity, frozen account,
 *   authentication. Retrying cannot help; an operator must act (the message says what to check).
 * - `CapacityExhausted` (`CloudCapacityExhausted`): the flavor is sold out or the AZ lacks
 *   capacity, in the create call's answer or in its job: try another AZ or flavor.
 *
 * The subclasses add what operators need to find the call: the cloud's `code`, the `operation`,
 * the HTTP status and the request id. "Not found" never reaches callers of the port: the adapter
 * answers `undefined` or treats a delete as done.
 *
 * @example
 *   try { await waitForJob(cloud, jobId, { clock, timeoutMs }) } catch (err) {
 *     if (err instanceof CapacityExhausted) return tryNextAz();
 *     throw err;
 *   }
 */
export interface CloudErrorDetails {
  /** The cloud's code (Ecs.0001, APIGW.0308, VPC.0114...) or a kgd.* code for local failures. */
  code: string;
  /** The API call that failed, e.g. `ecs.createPostPaidServers`. */
  operation: string;
  httpStatus?: number;
  requestId?: string;
  /** A wait the cloud asked for or our policy sets (Retryable only), before backoff jitter. */
  retryAfterMs?: number;
  /** CapacityExhausted only: the AZ (default) or the flavor everywhere. */
  scope?: CapacityScope;
  cause?: unknown;
}

/** Where a cloud failure came from, for logs, metrics and operators. */
interface CloudFailureInfo {
  readonly code: string;
  readonly operation: string;
  readonly httpStatus: number | undefined;
  readonly requestId: string | undefined;
}

export class CloudRetryable extends Retryable implements CloudFailureInfo {
  override name = 'CloudRetryable';
  declare readonly code: string;
  readonly operation: string;
  readonly httpStatus: number | undefined;
  readonly requestId: string | undefined;
  constructor(message: string, d: CloudErrorDetails) {
    super(message, { code: d.code, cause: d.cause, retryAfterMs: d.retryAfterMs });
    this.operation = d.operation;
    this.httpStatus = d.httpStatus;
    this.requestId = d.requestId;
  }
}

/** 409: still in use, busy, or already there. Retryable; deletes retry it within the adapter. */
export class CloudConflict extends CloudRetryable {
  override name = 'CloudConflict';
}

export class CloudPermanent extends Permanent implements CloudFailureInfo {
  override name = 'CloudPermanent';
  declare readonly code: string;
  readonly operation: string;
  readonly httpStatus: number | undefined;
  readonly requestId: string | undefined;
  constructor(message: string, d: CloudErrorDetails) {
    super(message, { code: d.code, cause: d.cause });
    this.operation = d.operation;
    this.httpStatus = d.httpStatus;
    this.requestId = d.requestId;
  }
}

/**
 * 404. The adapter turns it into `undefined` (reads) or success (deletes); it reaches callers
 * only where absence is an error (an unknown job id, a configured shared network gone).
 */
export class CloudNotFound extends CloudPermanent {
  override name = 'CloudNotFound';
}

export class CloudCapacityExhausted extends CapacityExhausted implements CloudFailureInfo {
  override name = 'CloudCapacityExhausted';
  declare readonly code: string;
  readonly operation: string;
  readonly httpStatus: number | undefined;
  readonly requestId: string | undefined;
  constructor(message: string, d: CloudErrorDetails) {
    super(message, { code: d.code, cause: d.cause, scope: d.scope ?? 'az' });
    this.operation = d.operation;
    this.httpStatus = d.httpStatus;
    this.requestId = d.requestId;
  }
}

/** Anything the adapter throws. */
export type CloudFailure = CloudRetryable | CloudPermanent | CloudCapacityExhausted;

function isCloudFailure(err: unknown): err is CloudFailure {
  return (
    err instanceof CloudRetryable ||
    err instanceof CloudPermanent ||
    err instanceof CloudCapacityExhausted
  );
}

/** What the SDK's ClientRequestException / ServerResponseException / ServiceResponseException hold. */
interface SdkFailure {
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
  /售罄/,
  /资源不足/,
  /容量不足/,
];
/** Fragments saying the flavor itself is gone (retired): no AZ will have it. */
const retiredPatterns = [/is abandoned/i, /已下线/, /已废弃/];

/**
 * Codes that mean "this flavor cannot be had here" (huawei-cloud.md §5.1), with what they rule
 * out. `az`: Ecs.0018 sold out in the AZ, Ecs.0319 capacity short, Ecs.0044 disk type sold out
 * in the AZ (another AZ may have it). `flavor`: Ecs.0019 abandoned, Ecs.0029 does not exist or
 * abandoned, Ecs.0027 private, Ecs.0028 the account may not use it (no AZ will: next flavor).
 * Other capacity failures (Ecs.0219 "No valid host", Ecs.0000 "... sold out") are recognised by
 * message.
 */
const capacityCodes: Record<string, CapacityScope> = {
  'Ecs.0018': 'az',
  'Ecs.0319': 'az',
  'Ecs.0044': 'az',
  'Ecs.0019': 'flavor',
  'Ecs.0029': 'flavor',
  'Ecs.0027': 'flavor',
  'Ecs.0028': 'flavor',
};

/** What a capacity refusal rules out, or undefined when the answer is not about capacity. */
function capacityScope(
  code: string | undefined,
  reason: string | undefined,
): CapacityScope | undefined {
  const byCode = code ? capacityCodes[code] : undefined;
  if (byCode) return byCode;
  const text = reason ?? '';
  if (retiredPatterns.some((p) => p.test(text))) return 'flavor';
  if (capacityPatterns.some((p) => p.test(text))) return 'az';
  return undefined;
}

export function looksLikeCapacity(code: string | undefined, reason: string | undefined): boolean {
  return capacityScope(code, reason) !== undefined;
}

/** Ecs.0001 instances/cores/RAM, Ecs.0013 EIPs, VPC.0114 VPCs (answered as 409). */
const quotaCodes = new Set(['Ecs.0001', 'Ecs.0013', 'VPC.0114']);

/**
 * Throttled: the gateway counts calls per minute (429 APIGW.0308 "...time:1 minute"), so a retry
 * inside the same minute is throttled again: wait into the next window (huawei-cloud.md §5.7).
 */
export const throttleWaitMs = 60_000;

/**
 * Transient answers that name their own wait (huawei-cloud.md §5.7): the cloud is busy with the
 * resource, not refusing it. Ecs.0603 (501) "Other commands are being executed. Try again 1
 * minute later."; Ecs.0501 (400) the system disk is still being downloaded (minutes); VPC.0004
 * (400) the VPC is not active yet.
 */
const busyCodes: Record<string, { waitMs: number; what: string }> = {
  'Ecs.0603': { waitMs: 60_000, what: 'another command is running on the server' },
  'Ecs.0501': { waitMs: 120_000, what: 'the system disk is still being downloaded' },
  'VPC.0004': { waitMs: 5_000, what: 'the VPC is not active yet' },
};

/**
 * Waits of at least this long are not slept inside one adapter call: the error goes up with its
 * `retryAfterMs`, and the step runner or the poll loop waits on the clock (cancellable, within
 * the step's budget) and tries again.
 */
export const longWaitMs = 60_000;

/** "Still in use" answered as 500 (subnet with ports: VPC.0208, VPC.0209) or 409 (busy VPC). */
const inUseCodes = new Set(['VPC.0208', 'VPC.0209', 'VPC.0104', 'VPC.0103', 'VPC.0110']);

/** In use: wait at least this long for what uses the resource to go. */
const inUseWaitMs = 3000;

function describe(f: SdkFailure): string {
  const parts = [f.errorCode, f.errorMsg].filter(Boolean).join(': ');
  return parts || 'no detail';
}

/** Turns whatever the SDK threw into a classified cloud failure with an operator-facing message. */
export function classifySdkFailure(err: unknown, ctx: ClassifyContext): CloudFailure {
  if (isCloudFailure(err)) return err;
  const f = (typeof err === 'object' && err !== null ? err : {}) as SdkFailure;
  const status = typeof f.httpStatusCode === 'number' ? f.httpStatusCode : undefined;
  const code = f.errorCode ?? (status ? `HTTP.${status}` : 'kgd.network');
  const msg = f.errorMsg ?? (err instanceof Error ? err.message : String(err));
  const base: CloudErrorDetails = {
    code,
    operation: ctx.operation,
    httpStatus: status,
    requestId: f.requestId || undefined,
    cause: err,
  };
  const where = `${ctx.operation} in ${ctx.region}`;
  const detail = describe({ ...f, errorCode: code, errorMsg: msg });

  if (status === undefined) {
    return new CloudRetryable(
      `${where}: no answer from the cloud (${msg}); check network access to the endpoint, it will be retried`,
      base,
    );
  }
  if (status === 429 || code === 'APIGW.0308') {
    return new CloudRetryable(
      `${where}: throttled by the API gateway (${detail}); the limit is per minute, retried in the next one`,
      { ...base, retryAfterMs: throttleWaitMs },
    );
  }
  const busy = busyCodes[code];
  if (busy) {
    return new CloudRetryable(
      `${where}: ${busy.what} (${detail}); retried after ${Math.round(busy.waitMs / 1000)} s`,
      { ...base, retryAfterMs: busy.waitMs },
    );
  }
  if (inUseCodes.has(code)) {
    return new CloudConflict(
      `${where}: still in use (${detail}); it will be retried once what uses it is gone`,
      { ...base, retryAfterMs: inUseWaitMs },
    );
  }
  if (status >= 500) {
    return new CloudRetryable(`${where}: cloud-side error (${detail}); it will be retried`, base);
  }
  if (status === 401 || code === 'APIGW.0301' || code === 'APIGW.0303') {
    return new CloudPermanent(
      `${where}: authentication refused (${detail}); check KGD_CLOUD_AK / KGD_CLOUD_SK, the project id and the machine clock`,
      base,
    );
  }
  if (quotaCodes.has(code) || /quota/i.test(msg)) {
    return new CloudPermanent(
      `${where}: quota exhausted (${detail}); raise the quota in region ${ctx.region} or release resources`,
      base,
    );
  }
  if (status === 403 || code === 'Ecs.0003') {
    return new CloudPermanent(
      `${where}: account restricted (${detail}); check the account balance, freezing or IAM permissions`,
      base,
    );
  }
  if (code === 'Ecs.0011') {
    return new CloudPermanent(
      `${where}: password refused (${detail}); it needs 8-26 characters with three of: upper case, lower case, digits, special characters`,
      base,
    );
  }
  if (code === 'Ecs.0100') {
    return new CloudPermanent(
      `${where}: the server's state does not allow this (${detail}); a resize needs the server stopped first`,
      base,
    );
  }
  const scope = capacityScope(code, msg);
  if (scope) {
    return new CloudCapacityExhausted(
      scope === 'flavor'
        ? `${where}: flavor unavailable (${detail}); no availability zone will have it, try another flavor`
        : `${where}: no capacity (${detail}); try another availability zone or flavor`,
      { ...base, scope },
    );
  }
  if (status === 404) {
    return new CloudNotFound(`${where}: not found (${detail})`, base);
  }
  if (status === 409) {
    return new CloudConflict(
      `${where}: still in use (${detail}); it will be retried once what uses it is gone`,
      { ...base, retryAfterMs: inUseWaitMs },
    );
  }
  return new CloudPermanent(
    `${where}: request refused (${detail}); check the parameters (image, flavor, AZ, network ids) for region ${ctx.region}`,
    base,
  );
}

type FailedJob = Pick<CloudJob, 'id' | 'type' | 'errorCode' | 'failReason' | 'failures'>;

/** A cloud code written inside a reason text (`errorcode_message` often starts with one). */
const codeInText = /\b(?:Ecs|EVS|VPC|EIP|IMS|APIGW)\.\d{4}\b/;

/**
 * A job that ended in FAIL, read from the job's own `error_code`/`fail_reason` and every failed
 * sub-job's (`errorcode_message` included, huawei-cloud.md §5.1): `CapacityExhausted` when any
 * says sold out / no capacity / flavor retired (scope `flavor` if any says the flavor is gone
 * everywhere), `Permanent` otherwise, with the cloud's codes and reasons in the message.
 */
export function classifyJobFailure(
  job: FailedJob,
  ctx: { operation?: string; region?: string } = {},
): CloudCapacityExhausted | CloudPermanent {
  const reasons = [
    { code: job.errorCode, reason: job.failReason },
    ...(job.failures ?? []).map((f) => ({ code: f.code, reason: f.reason })),
  ].map((r) => ({ ...r, code: r.code || r.reason?.match(codeInText)?.[0] }));
  const seen = new Set<string>();
  // A reason that already names its code is shown as it is.
  const text = (r: { code?: string | undefined; reason?: string | undefined }) =>
    r.code && r.reason?.includes(r.code) ? r.reason : [r.code, r.reason].filter(Boolean).join(': ');
  const detail =
    reasons
      .map(text)
      .filter((t) => t !== '' && !seen.has(t) && seen.add(t))
      .join('; ') || 'no reason given';
  const scopes = reasons.map((r) => capacityScope(r.code, r.reason));
  const capacity = reasons.find((_, i) => scopes[i] !== undefined);
  const code = capacity?.code ?? reasons.find((r) => r.code)?.code ?? 'kgd.job-failed';
  const base = { code, operation: ctx.operation ?? 'ecs.showJob' };
  const where = `job ${job.id} (${job.type})${ctx.region ? ` in ${ctx.region}` : ''}`;
  if (capacity) {
    const scope = scopes.includes('flavor') ? 'flavor' : 'az';
    return new CloudCapacityExhausted(
      scope === 'flavor'
        ? `${where} failed: flavor unavailable (${detail}); no availability zone will have it, try another flavor`
        : `${where} failed for lack of capacity (${detail}); try another availability zone or flavor`,
      { ...base, scope },
    );
  }
  if (reasons.some((r) => (r.code && quotaCodes.has(r.code)) || /quota/i.test(r.reason ?? ''))) {
    return new CloudPermanent(
      `${where} failed: quota exhausted (${detail}); raise the quota or release resources`,
      base,
    );
  }
  return new CloudPermanent(
    `${where} failed (${detail}); see the ECS console's task list for the details`,
    base,
  );
}
