import type { Transaction } from 'kysely';
import type { Database } from '../../platform/db/schema.js';
import { renewalKey } from '../model/keys.js';
import { isGone } from '../model/states.js';
import { insertOperation, lockInstance } from '../rows.js';
import type { CommandContext, Recorded } from './context.js';

export type RenewScene =
  | 'RENEWAL'
  | 'TRIAL_TO_FORMAL'
  | 'UNSUBSCRIBE_RENEWAL_PERIOD'
  | 'RENEWAL_CHANGE';

export interface RenewalInput {
  instanceId: string;
  orderId: string;
  orderLineId: string | null;
  scene: RenewScene;
  productId: string | null;
  expireTime: Date | null;
  periodType: string | null;
  periodNumber: number | null;
  orderAmount: string | null;
  test: boolean;
}

/**
 * A renewal (also trial to formal, and a cancelled renewal period): keyed on its order and scene.
 * The new expiry is recorded at once; a renewal that extends the period lifts an expiry freeze.
 * The renew operation then issues the new license and pushes it to the server.
 */
export async function recordRenewal(
  tx: Transaction<Database>,
  input: RenewalInput,
  ctx: CommandContext,
): Promise<Recorded> {
  const inst = await lockInstance(tx, input.instanceId);
  if (!inst || isGone(inst.status)) return { kind: 'unknown' };
  const op = await insertOperation(tx, {
    id: ctx.ids.next('op'),
    instance_id: inst.id,
    kind: 'renew',
    status: 'pending',
    idempotency_key: renewalKey(inst.id, input.orderId, input.orderLineId, input.scene),
    order_id: input.orderId,
    order_line_id: input.orderLineId,
    params: JSON.stringify({
      scene: input.scene,
      productId: input.productId,
      expireTime: input.expireTime?.toISOString() ?? null,
      previousExpireTime: inst.expires_at ? new Date(inst.expires_at).toISOString() : null,
      periodType: input.periodType,
      periodNumber: input.periodNumber,
      orderAmount: input.orderAmount,
    }),
    params_sealed: null,
    inbox_id: null,
    test: input.test,
    created_at: ctx.now,
  });
  if (!op) return { kind: 'duplicate', instanceId: inst.id };
  const extendsPeriod =
    input.scene !== 'UNSUBSCRIBE_RENEWAL_PERIOD' &&
    (!input.expireTime || input.expireTime > ctx.now);
  await tx
    .updateTable('instances')
    .set({
      ...(input.expireTime ? { expires_at: input.expireTime } : {}),
      ...(input.scene === 'TRIAL_TO_FORMAL' ? { trial: false } : {}),
      ...(input.productId ? { product_id: input.productId } : {}),
      ...(extendsPeriod && inst.frozen ? { frozen: false } : {}),
      updated_at: ctx.now,
    })
    .where('id', '=', inst.id)
    .execute();
  return { kind: 'recorded', instanceId: inst.id, operationId: op.id };
}
