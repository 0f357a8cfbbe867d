import { recordPurchase } from '../../deployments/commands/record-purchase.js';
import { purchaseKey } from '../../deployments/model/keys.js';
import { isSettled } from '../../deployments/model/states.js';
import type { Instance } from '../../platform/db/schema.js';
import { answer, encryptAppInfo, ResultCode } from '../protocol/answers.js';
import type { Command } from '../protocol/commands.js';
import {
  accessInfo,
  commandContext,
  type HandlerContext,
  type Outcome,
  outcome,
} from './context.js';

/** newInstance: one purchase per order (a resend gets the same instance and credentials). */
export async function handleNewInstance(
  ctx: HandlerContext,
  cmd: Extract<Command, { kind: 'new' }>,
): Promise<Outcome> {
  const { deps } = ctx;
  const appUser = deps.accessUser?.(cmd.order.productId, cmd.order.skuCode) ?? 'admin';
  const r = await recordPurchase(
    ctx.tx,
    { protocol: ctx.protocol, order: cmd.order, thin: cmd.thin, test: cmd.test, appUser },
    commandContext(ctx),
  );
  return outcome(newInstanceAnswer(ctx, r.instance), {
    idempotencyKey: purchaseKey(cmd.order),
    duplicate: r.kind === 'duplicate',
    instanceId: r.instance.id,
    operationId: r.operationId,
    wake: r.kind === 'created' ? [r.instance.id] : [],
  });
}

function newInstanceAnswer(ctx: HandlerContext, inst: Instance) {
  const { deps, key, protocol } = ctx;
  // V2: provisioning continues and the marketplace polls queryInstance (000004) until ready.
  if (protocol === 'v2')
    return {
      ...answer(isSettled(inst.status) ? ResultCode.ok : ResultCode.inProgress),
      instanceId: inst.id,
    };
  return {
    ...answer(ResultCode.ok),
    instanceId: inst.id,
    encryptType: String(deps.encryptType),
    appInfo: encryptAppInfo(accessInfo(deps, inst), key, deps.encryptType),
  };
}
