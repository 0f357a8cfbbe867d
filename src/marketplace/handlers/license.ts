import {
  findOperationByKey,
  getInstance,
  insertInstance,
  insertOperation,
} from '../../deployments/store.js';
import type { Command } from '../activities/commands.js';
import { answer } from '../gateway/answers.js';
import { type HandlerContext, type Outcome, outcome, privatePurpose } from './context.js';
import { publicOrderParams } from './new-instance.js';

type LicenseCommand = Extract<Command, { kind: 'license' }>;

/** Extension parameters that carry the buyer's machine code (the names sellers use). */
const machineCodeNames = /^(machine[-_ ]?code|machineCode|fingerprint|hardware[-_ ]?id|机器码)$/i;

/**
 * V1 getLicense (License products the buyer installs): the license is issued in the same
 * transaction that records the call; a resent order returns the same license.
 */
export async function handleGetLicense(ctx: HandlerContext, cmd: LicenseCommand): Promise<Outcome> {
  const { tx, deps, now } = ctx;
  const order = cmd.order;
  const key = `license:${order.orderId}:${order.productId ?? '-'}`;
  const periodic = order.chargingMode === '1';
  if (periodic && !order.expireTime) {
    return outcome(
      answer('000902', 'expireTime is required for a periodic (chargingMode 1) license'),
    );
  }
  const existing = await findOperationByKey(tx, key);
  let instanceId = existing?.instance_id ?? null;
  let operationId = existing?.id ?? null;
  if (!existing) {
    instanceId = deps.ids.instanceId();
    const op = await insertOperation(tx, {
      id: deps.ids.next('op'),
      instance_id: instanceId,
      kind: 'license',
      status: 'succeeded',
      idempotency_key: key,
      order_id: order.orderId,
      order_line_id: null,
      params: JSON.stringify({}),
      params_sealed: null,
      inbox_id: null,
      test: cmd.test,
      created_at: now,
    });
    if (!op) return handleGetLicense(ctx, cmd); // issued concurrently: answer with that one
    operationId = op.id;
    await insertInstance(tx, {
      id: instanceId,
      protocol: ctx.protocol,
      status: 'ready',
      status_detail: 'license only',
      test: cmd.test,
      order_id: order.orderId,
      order_line_id: null,
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
      private_sealed:
        order.extendParams.length > 0
          ? deps.secretBox.seal(
              JSON.stringify({ extendParams: order.extendParams }),
              privatePurpose(instanceId),
            )
          : null,
      frozen: false,
      app_user: null,
      app_password_sealed: null,
      front_end_url: null,
      admin_url: null,
      memo: null,
      created_at: now,
      updated_at: now,
      ready_at: now,
      released_at: null,
    });
  }
  const inst = await getInstance(tx, instanceId!);
  const machineCode = order.extendParams.find((p) => machineCodeNames.test(p.name))?.value;
  const license = await deps.licenses.issue(tx, {
    idempotencyKey: key,
    instanceId: instanceId!,
    orderId: order.orderId,
    productId: order.productId,
    skuCode: order.skuCode,
    customerId: order.customerId,
    customerName: order.customerName,
    limits: order.linear.amount ? { amount: Number(order.linear.amount) } : {},
    expiresAt: inst?.expires_at ?? order.expireTime,
    boundTo: machineCode ? { machineCode } : {},
    test: cmd.test,
  });
  return outcome(
    { ...answer('000000'), instanceId: instanceId!, license: license.text },
    { idempotencyKey: key, duplicate: !!existing, instanceId, operationId },
  );
}
