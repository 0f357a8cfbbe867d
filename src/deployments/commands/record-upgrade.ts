import type { Transaction } from 'kysely';
import type { Database } from '../../platform/db/schema.js';
import { upgradeKey } from '../model/keys.js';
import { isGone } from '../model/states.js';
import { insertOperation, lockInstance } from '../rows.js';
import type { CommandContext, ExtendParam, Recorded } from './context.js';

export interface UpgradeInput {
  instanceId: string;
  orderId: string;
  orderLineId: string | null;
  /** The new product and sku; null when the order API says (V2 reads the order). */
  productId: string | null;
  skuCode: string | null;
  linear: Record<string, string>;
  extendParams: ExtendParam[];
  test: boolean;
}

/** An upgrade (a new sku): keyed on its order; the upgrade operation resizes and re-licenses. */
export async function recordUpgrade(
  tx: Transaction<Database>,
  input: UpgradeInput,
  ctx: CommandContext,
): Promise<Recorded> {
  const inst = await lockInstance(tx, input.instanceId);
  if (!inst || isGone(inst.status)) return { kind: 'unknown' };
  const op = await insertOperation(tx, {
    id: ctx.ids.next('op'),
    instance_id: inst.id,
    kind: 'upgrade',
    status: 'pending',
    idempotency_key: upgradeKey(inst.id, input.orderId, input.orderLineId),
    order_id: input.orderId,
    order_line_id: input.orderLineId,
    params: JSON.stringify({
      productId: input.productId,
      skuCode: input.skuCode,
      linear: input.linear,
      extendParamNames: input.extendParams.map((p) => p.name),
    }),
    params_sealed:
      input.extendParams.length > 0
        ? ctx.secrets.sealPrivate(inst.id, { extendParams: input.extendParams })
        : null,
    inbox_id: null,
    test: input.test,
    created_at: ctx.now,
  });
  return op
    ? { kind: 'recorded', instanceId: inst.id, operationId: op.id }
    : { kind: 'duplicate', instanceId: inst.id };
}
