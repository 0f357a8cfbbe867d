import type { Recorded } from '../../deployments/commands/context.js';
import { recordRenewal } from '../../deployments/commands/record-renewal.js';
import { recordUpgrade } from '../../deployments/commands/record-upgrade.js';
import { requestRelease } from '../../deployments/commands/request-release.js';
import { setFrozen } from '../../deployments/commands/set-frozen.js';
import { releaseKey, renewalKey, upgradeKey } from '../../deployments/model/keys.js';
import { answer, ResultCode } from '../protocol/answers.js';
import type { Command } from '../protocol/commands.js';
import { commandContext, type HandlerContext, type Outcome, outcome } from './context.js';

type Of<K extends Command['kind']> = Extract<Command, { kind: K }>;

/** Maps what a lifecycle command did to the answer: unknown → 000003, else 000000. */
function translate(r: Recorded, instanceId: string, key: string | null): Outcome {
  if (r.kind === 'unknown')
    return outcome(
      answer(ResultCode.unknownInstance, `instance ${instanceId.slice(0, 64)} does not exist`),
    );
  return outcome(answer(ResultCode.ok), {
    idempotencyKey: key,
    duplicate: r.kind === 'duplicate',
    instanceId: r.instanceId,
    operationId: r.kind === 'recorded' ? r.operationId : null,
    wake: r.kind === 'recorded' ? [r.instanceId] : [],
  });
}

export async function handleRenew(ctx: HandlerContext, cmd: Of<'renew'>): Promise<Outcome> {
  const r = await recordRenewal(ctx.tx, cmd, commandContext(ctx));
  return translate(
    r,
    cmd.instanceId,
    renewalKey(cmd.instanceId, cmd.orderId, cmd.orderLineId, cmd.scene),
  );
}

export async function handleUpgrade(ctx: HandlerContext, cmd: Of<'upgrade'>): Promise<Outcome> {
  const r = await recordUpgrade(ctx.tx, cmd, commandContext(ctx));
  return translate(r, cmd.instanceId, upgradeKey(cmd.instanceId, cmd.orderId, cmd.orderLineId));
}

export async function handleExpire(ctx: HandlerContext, cmd: Of<'expire'>): Promise<Outcome> {
  const r = await setFrozen(
    ctx.tx,
    { instanceId: cmd.instanceId, frozen: true, kind: 'expire', test: cmd.test },
    commandContext(ctx),
  );
  return translate(r, cmd.instanceId, null);
}

export async function handleStatus(ctx: HandlerContext, cmd: Of<'status'>): Promise<Outcome> {
  const kind = cmd.frozen ? 'freeze' : 'unfreeze';
  const r = await setFrozen(
    ctx.tx,
    { instanceId: cmd.instanceId, frozen: cmd.frozen, kind, test: cmd.test },
    commandContext(ctx),
  );
  return translate(r, cmd.instanceId, null);
}

/** Release destroys the buyer's resources; a repeat for a released instance answers success. */
export async function handleRelease(ctx: HandlerContext, cmd: Of<'release'>): Promise<Outcome> {
  const r = await requestRelease(
    ctx.tx,
    {
      instanceId: cmd.instanceId,
      by: 'marketplace',
      orderId: cmd.orderId,
      orderLineId: cmd.orderLineId,
    },
    commandContext(ctx),
  );
  return translate(r, cmd.instanceId, releaseKey(cmd.instanceId));
}
