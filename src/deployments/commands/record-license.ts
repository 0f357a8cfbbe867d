import type { Transaction } from 'kysely';
import type { LicenseIssuer } from '../../licenses/license-store.js';
import type { Database, Instance } from '../../platform/db/schema.js';
import { licenseKey } from '../model/keys.js';
import { findOperationByKey, insertOperation } from '../rows.js';
import type { CommandContext, PurchaseOrder } from './context.js';
import { insertInstanceRow, newInstanceRow } from './record-purchase.js';

export interface LicenseOrderInput {
  protocol: 'v1' | 'v2';
  order: PurchaseOrder;
  test: boolean;
  limits: Record<string, string | number | boolean>;
  /** The buyer's machine, when the order names one (a license bound to it). */
  machineCode?: string | undefined;
}

export interface LicenseOrderResult {
  duplicate: boolean;
  instance: Instance;
  operationId: string;
  license: string;
}

/**
 * A license-only order (V1 getLicense: the buyer installs the software): the instance and its
 * license are recorded in the call's transaction; a resent order returns the same license.
 */
export async function recordLicenseOrder(
  tx: Transaction<Database>,
  input: LicenseOrderInput,
  ctx: CommandContext & { licenses: LicenseIssuer },
): Promise<LicenseOrderResult> {
  const { order } = input;
  const key = licenseKey(order.orderId, order.productId);
  const existing = await findOperationByKey(tx, key);
  let instance: Instance | undefined;
  let operationId: string;
  if (existing?.instance_id) {
    operationId = existing.id;
    instance = await tx
      .selectFrom('instances')
      .selectAll()
      .where('id', '=', existing.instance_id)
      .executeTakeFirst();
  } else {
    const instanceId = ctx.ids.instanceId();
    const op = await insertOperation(tx, {
      id: ctx.ids.next('op'),
      instance_id: instanceId,
      kind: 'license',
      status: 'succeeded',
      idempotency_key: key,
      order_id: order.orderId,
      order_line_id: null,
      params: JSON.stringify({}),
      params_sealed: null,
      inbox_id: null,
      test: input.test,
      created_at: ctx.now,
    });
    // Recorded concurrently by a resend: answer with that one.
    if (!op) return recordLicenseOrder(tx, input, ctx);
    operationId = op.id;
    instance = newInstanceRow(
      ctx,
      { id: instanceId, protocol: input.protocol, order, test: input.test },
      {
        status: 'ready',
        status_detail: 'license only',
        app_user: null,
        app_password_sealed: null,
        ready_at: ctx.now,
      },
    );
    await insertInstanceRow(tx, instance);
  }
  if (!instance) throw new Error(`instance of ${key} vanished`);
  const license = await ctx.licenses.issue(
    {
      idempotencyKey: key,
      instanceId: instance.id,
      orderId: order.orderId,
      productId: order.productId,
      skuCode: order.skuCode,
      customerId: order.customerId,
      customerName: order.customerName,
      limits: input.limits,
      expiresAt: instance.expires_at ?? order.expireTime,
      boundTo: input.machineCode ? { machineCode: input.machineCode } : {},
      test: input.test,
    },
    tx,
  );
  return { duplicate: !!existing, instance, operationId, license: license.text };
}
