import { type CloudErrorDetails, CloudPermanent } from './errors.js';

/**
 * Why a buyer's account refused us (huawei-iam-agency.md §5), each with what the buyer must do:
 * - `agency-absent`: no agency of that name in the account (deleted, renamed, never made);
 * - `not-trusted`: the agency trusts another account, or the seller's key may not assume agencies;
 * - `agency-expired`: the agency's duration is over;
 * - `permission-missing`: the agency's policy lacks an action in a region's project;
 * - `project-missing`: the account has no project in the region (or it cannot be discovered).
 */
export type AccessRefusalReason =
  | 'agency-absent'
  | 'not-trusted'
  | 'agency-expired'
  | 'permission-missing'
  | 'project-missing';

/**
 * A `Permanent` failure the buyer fixes (no retry helps until then), with the precise reason:
 * the lifecycle ends such an operation in a state operators and the buyer see.
 *
 * @example
 *   if (err instanceof AccessRefused && err.reason === 'permission-missing')
 *     showBuyer(`grant ${err.action} in ${err.region}`);
 */
export class AccessRefused extends CloudPermanent {
  override name = 'AccessRefused';
  readonly reason: AccessRefusalReason;
  /** The IAM action missing (`permission-missing`). */
  readonly action: string | undefined;
  readonly region: string | undefined;
  constructor(
    message: string,
    d: CloudErrorDetails & { reason: AccessRefusalReason; action?: string; region?: string },
  ) {
    super(message, d);
    this.reason = d.reason;
    this.action = d.action;
    this.region = d.region;
  }
}

const policyDenied = /Policy doesn't allow (\S+?) to be performed/i;

/**
 * A cloud call refused for a permission the agency lacks (403 Ecs.0110 / VPC.2201 / VPC.0010
 * "Policy doesn't allow <action> to be performed"), as an `AccessRefused` naming the action and
 * region; anything else unchanged.
 */
export function refineAccessFailure<E>(err: E, region: string): E | AccessRefused {
  if (!(err instanceof CloudPermanent) || err.httpStatus !== 403) return err;
  const action = policyDenied.exec(err.message)?.[1];
  if (!action) return err;
  return new AccessRefused(
    `permission ${action} missing in ${region}: the buyer must add it to the agency's policy for the ${region} project (${err.operation}, ${err.code})`,
    {
      code: err.code,
      operation: err.operation,
      ...(err.httpStatus === undefined ? {} : { httpStatus: err.httpStatus }),
      ...(err.requestId ? { requestId: err.requestId } : {}),
      reason: 'permission-missing',
      action,
      region,
    },
  );
}
