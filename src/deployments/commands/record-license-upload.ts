import type { Transaction } from 'kysely';
import type { Database } from '../../platform/db/schema.js';
import { licenseUploadKey } from '../model/keys.js';
import { isGone } from '../model/states.js';
import { findOperationByKey, insertOperation } from '../rows.js';
import type { CommandContext } from './context.js';

/** A getLicenseAsync event (spec §7.1), whatever the protocol spells. */
export interface LicenseUploadInput {
  instanceId: string;
  eventId: string;
  effectiveTime: Date;
  expireTime: Date | null;
  deviceFingerprint: string | null;
  test: boolean;
}

export type LicenseUploadResult =
  | { kind: 'unknown' }
  /** The event was recorded before with another device: not the same application. */
  | { kind: 'conflict'; operationId: string }
  | { kind: 'duplicate'; instanceId: string | null; operationId: string; uploaded: boolean }
  | { kind: 'recorded'; instanceId: string | null; operationId: string };

/** What the operation keeps: the upload flow renders and uploads from these alone. */
export interface LicenseUploadParams {
  instanceId: string;
  eventId: string;
  effectiveTime: string;
  expireTime: string | null;
  deviceFingerprint: string | null;
}

/**
 * getLicenseAsync: records one `license-upload` operation per event id (its idempotency key), in
 * the call's transaction; the engine renders the license and uploads it. A resend finds the first
 * and says whether its upload is done. An unknown instance is unknown, except for a debug call
 * (testFlag=1), which is recorded without one and gets a test license (spec §11).
 */
export async function recordLicenseUpload(
  tx: Transaction<Database>,
  input: LicenseUploadInput,
  ctx: CommandContext,
): Promise<LicenseUploadResult> {
  const key = licenseUploadKey(input.eventId);
  const existing = await findOperationByKey(tx, key);
  if (existing) {
    const params = existing.params as unknown as LicenseUploadParams;
    if ((params.deviceFingerprint ?? null) !== input.deviceFingerprint)
      return { kind: 'conflict', operationId: existing.id };
    return {
      kind: 'duplicate',
      instanceId: existing.instance_id,
      operationId: existing.id,
      uploaded: existing.status === 'succeeded',
    };
  }
  const inst = await tx
    .selectFrom('instances')
    .select(['id', 'order_id', 'order_line_id', 'status'])
    .where('id', '=', input.instanceId)
    .executeTakeFirst();
  if ((!inst || isGone(inst.status)) && !input.test) return { kind: 'unknown' };
  const params: LicenseUploadParams = {
    instanceId: input.instanceId,
    eventId: input.eventId,
    effectiveTime: input.effectiveTime.toISOString(),
    expireTime: input.expireTime?.toISOString() ?? null,
    deviceFingerprint: input.deviceFingerprint,
  };
  const op = await insertOperation(tx, {
    id: ctx.ids.next('op'),
    instance_id: inst?.id ?? null,
    kind: 'license-upload',
    status: 'pending',
    idempotency_key: key,
    order_id: inst?.order_id ?? `event:${input.eventId}`,
    order_line_id: inst?.order_line_id ?? null,
    params: JSON.stringify(params),
    params_sealed: null,
    inbox_id: null,
    test: input.test,
    created_at: ctx.now,
  });
  // Recorded concurrently by a resend: answer as that one.
  if (!op) return recordLicenseUpload(tx, input, ctx);
  return { kind: 'recorded', instanceId: inst?.id ?? null, operationId: op.id };
}
