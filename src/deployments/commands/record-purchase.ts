import type { Transaction } from 'kysely';
import type { Database, Instance, NewInstance } from '../../platform/db/schema.js';
import { generatePassword } from '../../platform/passwords.js';
import { purchaseKey } from '../model/keys.js';
import { findOperationByKey, insertOperation, unprovisioned } from '../rows.js';
import type { CommandContext, PurchaseOrder } from './context.js';

export interface PurchaseInput {
  protocol: 'v1' | 'v2';
  order: PurchaseOrder;
  /** A V2 notification that names the order only: the engine reads the rest from the order API. */
  thin: boolean;
  test: boolean;
  /** The application user handed to the buyer (the product template's). */
  appUser: string;
}

export type PurchaseResult =
  | { kind: 'created'; instance: Instance; operationId: string }
  | { kind: 'duplicate'; instance: Instance; operationId: string };

/** Non-secret order parameters kept in clear for operators. */
function publicOrderParams(order: PurchaseOrder): Record<string, unknown> {
  const { extendParams, contact, expireTime, ...rest } = order;
  return {
    ...rest,
    expireTime: expireTime?.toISOString() ?? null,
    extendParamNames: extendParams.map((p) => p.name),
    contactFields: Object.keys(contact),
  };
}

/** The instance row of a new order: the one place it is built (purchases and licenses). */
export function newInstanceRow(
  ctx: CommandContext,
  input: { id: string; protocol: 'v1' | 'v2'; order: PurchaseOrder; test: boolean },
  rest: Pick<
    NewInstance,
    'status' | 'status_detail' | 'app_user' | 'app_password_sealed' | 'ready_at'
  >,
): Instance {
  const { order, id, now } = { ...input, now: ctx.now };
  const hasPrivate = order.extendParams.length > 0 || Object.keys(order.contact).length > 0;
  return {
    id,
    protocol: input.protocol,
    test: input.test,
    order_id: order.orderId,
    order_line_id: order.orderLineId,
    business_id: order.businessId,
    product_id: order.productId,
    sku_code: order.skuCode,
    customer_id: order.customerId,
    customer_name: order.customerName,
    charging_mode: order.chargingMode,
    period_type: order.periodType,
    period_number: order.periodNumber,
    trial: order.trial,
    expires_at: order.expireTime,
    order_params: publicOrderParams(order),
    private_sealed: hasPrivate
      ? ctx.secrets.sealPrivate(id, { extendParams: order.extendParams, contact: order.contact })
      : null,
    frozen: false,
    front_end_url: null,
    admin_url: null,
    memo: null,
    created_at: now,
    updated_at: now,
    released_at: null,
    ...unprovisioned,
    ...rest,
    ready_at: (rest.ready_at as Date | null | undefined) ?? null,
  } as Instance;
}

export async function insertInstanceRow(tx: Transaction<Database>, row: Instance): Promise<void> {
  await tx
    .insertInto('instances')
    .values({ ...row, order_params: JSON.stringify(row.order_params) })
    .execute();
}

/**
 * A new purchase: one instance and its deploy operation, keyed on the order (spec §7), so a resend
 * (or ten at once) finds the first one and gets the same instance and the same credentials.
 */
export async function recordPurchase(
  tx: Transaction<Database>,
  input: PurchaseInput,
  ctx: CommandContext,
): Promise<PurchaseResult> {
  const key = purchaseKey(input.order);
  const instanceId = ctx.ids.instanceId();
  const op = await insertOperation(tx, {
    id: ctx.ids.next('op'),
    instance_id: instanceId,
    kind: 'deploy',
    status: 'pending',
    idempotency_key: key,
    order_id: input.order.orderId,
    order_line_id: input.order.orderLineId,
    params: JSON.stringify({ thin: input.thin }),
    params_sealed: null,
    inbox_id: null,
    test: input.test,
    created_at: ctx.now,
  });
  if (!op) {
    const first = await findOperationByKey(tx, key);
    const inst = first?.instance_id
      ? await tx
          .selectFrom('instances')
          .selectAll()
          .where('id', '=', first.instance_id)
          .executeTakeFirst()
      : undefined;
    if (!first || !inst) throw new Error(`operation for ${key} vanished`);
    return { kind: 'duplicate', instance: inst, operationId: first.id };
  }
  const instance = newInstanceRow(
    ctx,
    { id: instanceId, protocol: input.protocol, order: input.order, test: input.test },
    {
      status: 'pending',
      status_detail: null,
      app_user: input.appUser,
      // Generated now so every resend, and the deployment itself, hand out the same credentials.
      app_password_sealed: ctx.secrets.sealAppPassword(instanceId, generatePassword()),
      ready_at: null,
    },
  );
  await insertInstanceRow(tx, instance);
  return { kind: 'created', instance, operationId: op.id };
}
