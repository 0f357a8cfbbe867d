import { findInstanceByOrder, insertOperation } from '../../deployments/store.js';
import type { Command } from '../activities/commands.js';
import { answer } from '../gateway/answers.js';
import { type HandlerContext, type Outcome, outcome } from './context.js';

/**
 * orderNotify (V2): "an order changed, go read it". Recorded as a `sync` operation; the engine
 * reads the order through the order query API and turns it into the lifecycle step it describes.
 */
export async function handleNotify(
  ctx: HandlerContext,
  cmd: Extract<Command, { kind: 'notify' }>,
): Promise<Outcome> {
  const key = `notify:${cmd.orderId}:${cmd.orderLineId ?? '-'}`;
  const inst = await findInstanceByOrder(ctx.tx, cmd.orderId);
  const op = await insertOperation(ctx.tx, {
    id: ctx.deps.ids.next('op'),
    instance_id: inst?.id ?? null,
    kind: 'sync',
    status: 'pending',
    idempotency_key: key,
    order_id: cmd.orderId,
    order_line_id: cmd.orderLineId,
    params: JSON.stringify({}),
    params_sealed: null,
    inbox_id: null,
    test: cmd.test,
    created_at: ctx.now,
  });
  return outcome(answer('000000'), {
    idempotencyKey: key,
    duplicate: !op,
    instanceId: inst?.id ?? null,
    operationId: op?.id ?? null,
    wake: op ? [inst?.id ?? null] : [],
  });
}
