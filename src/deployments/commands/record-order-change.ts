import type { Transaction } from 'kysely';
import type { Database } from '../../platform/db/schema.js';
import { orderChangeKey } from '../model/keys.js';
import { insertOperation } from '../rows.js';
import type { CommandContext } from './context.js';

export type OrderChangeResult =
  | { kind: 'duplicate'; instanceId: string | null }
  | { kind: 'recorded'; instanceId: string | null; operationId: string };

/**
 * orderNotify (V2): "an order changed, go read it". Recorded as a `sync` operation of the order's
 * instance (or of the order, when no instance has it yet); the engine reads the order and records
 * the lifecycle operation it describes.
 */
export async function recordOrderChange(
  tx: Transaction<Database>,
  input: { orderId: string; orderLineId: string | null; test: boolean },
  ctx: CommandContext,
): Promise<OrderChangeResult> {
  // A test notification (a debug case) only ever reaches test instances: never a buyer's.
  const inst = await tx
    .selectFrom('instances')
    .select('id')
    .where('order_id', '=', input.orderId)
    .$if(input.test, (q) => q.where('test', '=', true))
    .orderBy('created_at')
    .executeTakeFirst();
  const op = await insertOperation(tx, {
    id: ctx.ids.next('op'),
    instance_id: inst?.id ?? null,
    kind: 'sync',
    status: 'pending',
    idempotency_key: orderChangeKey(input.orderId, input.orderLineId),
    order_id: input.orderId,
    order_line_id: input.orderLineId,
    params: JSON.stringify({}),
    params_sealed: null,
    inbox_id: null,
    test: input.test,
    created_at: ctx.now,
  });
  const instanceId = inst?.id ?? null;
  return op
    ? { kind: 'recorded', instanceId, operationId: op.id }
    : { kind: 'duplicate', instanceId };
}
