import {
  findOperationByKey,
  getInstance,
  insertInstance,
  insertOperation,
  unprovisioned,
} from '../../deployments/store.js';
import type { Instance } from '../../platform/db/schema.js';
import { generatePassword } from '../../platform/passwords.js';
import type { Command, OrderDetails } from '../activities/commands.js';
import { answer, encryptAppInfo } from '../gateway/answers.js';
import {
  accessInfo,
  type HandlerContext,
  type Outcome,
  outcome,
  passwordPurpose,
  privatePurpose,
} from './context.js';

type NewCommand = Extract<Command, { kind: 'new' }>;

/**
 * Spec §7: the same order (orderId, plus orderLineId in V2, plus productId for pay-per-use) is one
 * purchase however often it is sent. chargingMode 1 (periodic) and 3 (one-off) key on the order.
 */
export function purchaseKey(order: OrderDetails): string {
  const payPerUse =
    order.chargingMode !== null && !['1', '3', 'PERIOD', 'ONE_TIME'].includes(order.chargingMode);
  const line = order.orderLineId ?? (payPerUse ? `product:${order.productId ?? '-'}` : '-');
  return `new:${order.orderId}:${line}`;
}

/** Non-secret order parameters kept in clear for operators. */
export function publicOrderParams(order: OrderDetails): Record<string, unknown> {
  const { extendParams, contact, expireTime, ...rest } = order;
  return {
    ...rest,
    expireTime: expireTime?.toISOString() ?? null,
    extendParamNames: extendParams.map((p) => p.name),
    contactFields: Object.keys(contact),
  };
}

function newInstanceAnswer(ctx: HandlerContext, inst: Instance) {
  const { deps, key, protocol } = ctx;
  // V2: provisioning continues and the marketplace polls queryInstance (000004) until ready.
  if (protocol === 'v2') {
    const ready = inst.status === 'ready' || inst.status === 'frozen';
    return { ...answer(ready ? '000000' : '000004'), instanceId: inst.id };
  }
  return {
    ...answer('000000'),
    instanceId: inst.id,
    encryptType: String(deps.encryptType),
    appInfo: encryptAppInfo(accessInfo(deps, inst), key, deps.encryptType),
  };
}

export async function handleNewInstance(ctx: HandlerContext, cmd: NewCommand): Promise<Outcome> {
  const { tx, deps, now } = ctx;
  const order = cmd.order;
  const idempotencyKey = purchaseKey(order);
  const instanceId = deps.ids.instanceId();
  const op = await insertOperation(tx, {
    id: deps.ids.next('op'),
    instance_id: instanceId,
    kind: 'deploy',
    status: 'pending',
    idempotency_key: idempotencyKey,
    order_id: order.orderId,
    order_line_id: order.orderLineId,
    params: JSON.stringify({ thin: cmd.thin }),
    params_sealed: null,
    inbox_id: null,
    test: cmd.test,
    created_at: now,
  });
  if (!op) {
    const first = await findOperationByKey(tx, idempotencyKey);
    const inst = first?.instance_id ? await getInstance(tx, first.instance_id) : undefined;
    if (!first || !inst) throw new Error(`operation for ${idempotencyKey} vanished`);
    return outcome(newInstanceAnswer(ctx, inst), {
      idempotencyKey,
      duplicate: true,
      instanceId: inst.id,
      operationId: first.id,
    });
  }
  const userName = deps.accessUser?.(order.productId, order.skuCode) ?? 'admin';
  const hasPrivate = order.extendParams.length > 0 || Object.keys(order.contact).length > 0;
  const row = {
    id: instanceId,
    protocol: ctx.protocol,
    status: 'pending' as const,
    status_detail: null,
    test: cmd.test,
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
    order_params: JSON.stringify(publicOrderParams(order)),
    private_sealed: hasPrivate
      ? deps.secretBox.seal(
          JSON.stringify({ extendParams: order.extendParams, contact: order.contact }),
          privatePurpose(instanceId),
        )
      : null,
    frozen: false,
    app_user: userName,
    // Generated now so every resend, and the deployment itself, hand out the same credentials.
    app_password_sealed: deps.secretBox.seal(generatePassword(), passwordPurpose(instanceId)),
    front_end_url: null,
    admin_url: null,
    memo: null,
    created_at: now,
    updated_at: now,
    ready_at: null,
    released_at: null,
  };
  await insertInstance(tx, row);
  const inst: Instance = { ...row, ...unprovisioned, order_params: publicOrderParams(order) };
  return outcome(newInstanceAnswer(ctx, inst), {
    idempotencyKey,
    instanceId,
    operationId: op.id,
    wake: [instanceId],
  });
}
