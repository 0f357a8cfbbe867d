import { recordOrderChange } from '../../deployments/commands/record-order-change.js';
import { orderChangeKey } from '../../deployments/model/keys.js';
import { answer, ResultCode } from '../protocol/answers.js';
import type { Command } from '../protocol/commands.js';
import { commandContext, type HandlerContext, type Outcome, outcome } from './context.js';

/** orderNotify (V2): recorded as a `sync` operation; the engine reads the order. */
export async function handleNotify(
  ctx: HandlerContext,
  cmd: Extract<Command, { kind: 'notify' }>,
): Promise<Outcome> {
  const r = await recordOrderChange(ctx.tx, cmd, commandContext(ctx));
  return outcome(answer(ResultCode.ok), {
    idempotencyKey: orderChangeKey(cmd.orderId, cmd.orderLineId),
    duplicate: r.kind === 'duplicate',
    instanceId: r.instanceId,
    operationId: r.kind === 'recorded' ? r.operationId : null,
    wake: r.kind === 'recorded' ? [r.instanceId] : [],
  });
}
