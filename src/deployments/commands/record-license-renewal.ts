import type { Transaction } from 'kysely';
import type { LicenseIssuer } from '../../licenses/license-store.js';
import type { LicenseDocument } from '../../licenses/license-token.js';
import type { Database } from '../../platform/db/schema.js';
import { licenseRenewalKey } from '../model/keys.js';
import { isGone } from '../model/states.js';
import { findOperationByKey, insertOperation, lockInstance } from '../rows.js';
import type { CommandContext } from './context.js';

export interface LicenseRenewalInput {
  instanceId: string;
  /** The renewal order. */
  orderId: string;
  productId: string | null;
  expireTime: Date;
  periodType: string | null;
  periodNumber: number | null;
  test: boolean;
}

export type LicenseRenewalResult =
  | { kind: 'unknown' }
  | {
      kind: 'renewed';
      duplicate: boolean;
      instanceId: string;
      operationId: string;
      license: string;
    };

/**
 * V1 refreshLicense (spec §5, the old-licence renewal): the license getLicense issued for the
 * order is re-issued with the new expiry, in the call's transaction, keyed on the renewal order so
 * a resend answers the same license. The earlier license stays valid until its own expiry (the
 * buyer installs the new one when it arrives); a release revokes them all.
 */
export async function recordLicenseRenewal(
  tx: Transaction<Database>,
  input: LicenseRenewalInput,
  ctx: CommandContext & { licenses: LicenseIssuer },
): Promise<LicenseRenewalResult> {
  const inst = await lockInstance(tx, input.instanceId);
  if (!inst || isGone(inst.status)) return { kind: 'unknown' };
  const key = licenseRenewalKey(inst.id, input.orderId);
  const op =
    (await insertOperation(tx, {
      id: ctx.ids.next('op'),
      instance_id: inst.id,
      kind: 'license',
      status: 'succeeded',
      idempotency_key: key,
      order_id: input.orderId,
      order_line_id: null,
      params: JSON.stringify({
        renewal: true,
        productId: input.productId,
        expireTime: input.expireTime.toISOString(),
        previousExpireTime: inst.expires_at ? new Date(inst.expires_at).toISOString() : null,
        periodType: input.periodType,
        periodNumber: input.periodNumber,
      }),
      params_sealed: null,
      inbox_id: null,
      test: input.test,
      created_at: ctx.now,
    })) ?? undefined;
  const operation = op ?? (await findOperationByKey(tx, key));
  if (!operation) throw new Error(`license renewal ${key} vanished`);
  if (op)
    await tx
      .updateTable('instances')
      .set({
        expires_at: input.expireTime,
        ...(input.productId ? { product_id: input.productId } : {}),
        ...(input.periodType ? { period_type: input.periodType } : {}),
        ...(input.periodNumber !== null ? { period_number: input.periodNumber } : {}),
        updated_at: ctx.now,
      })
      .where('id', '=', inst.id)
      .execute();
  const previous = await tx
    .selectFrom('licenses')
    .select('document')
    .where('instance_id', '=', inst.id)
    .orderBy('issued_at', 'asc')
    .executeTakeFirst();
  const doc = (previous?.document ?? {}) as Partial<LicenseDocument>;
  const license = await ctx.licenses.issue(
    {
      idempotencyKey: key,
      instanceId: inst.id,
      orderId: inst.order_id,
      productId: input.productId ?? inst.product_id,
      skuCode: inst.sku_code,
      customerId: inst.customer_id,
      customerName: inst.customer_name,
      limits: doc.limits ?? {},
      expiresAt: input.expireTime,
      boundTo: doc.boundTo ?? {},
      test: input.test,
    },
    tx,
  );
  return {
    kind: 'renewed',
    duplicate: !op,
    instanceId: inst.id,
    operationId: operation.id,
    license: license.text,
  };
}
