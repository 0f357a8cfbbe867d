import type { Recorded } from '../../deployments/commands/context.js';
import { recordRenewal } from '../../deployments/commands/record-renewal.js';
import { recordUpgrade } from '../../deployments/commands/record-upgrade.js';
import { requestRelease } from '../../deployments/commands/request-release.js';
import { setFrozen } from '../../deployments/commands/set-frozen.js';
import { releaseKey, renewalKey, upgradeKey } from '../../deployments/model/keys.js';
import { answer, ResultCode } from '../protocol/answers.js';
import type { Command } from '../protocol/commands.js';
import { commandContext, type HandlerContext, type Outcome, outcome } from './context.js';
import { isTestInstance, nothingToDo } from './test-calls.js';

type Of<K extends Command['kind']> = Extract<Command, { kind: K }>;

/**
 * Runs a lifecycle command. A test call (spec §11) acts on test instances only and answers
 * 000000 where a real call would get 000003 (see test-calls.ts).
 */
async function run(
  ctx: HandlerContext,
  cmd: { instanceId: string; test: boolean },
  record: () => Promise<Recorded>,
  key: string | null,
): Promise<Outcome> {
  if (cmd.test && !(await isTestInstance(ctx, cmd.instanceId))) return nothingToDo(cmd.instanceId);
  const r = await record();
  if (cmd.test && r.kind === 'unknown') return nothingToDo(cmd.instanceId);
  return translate(r, cmd.instanceId, key);
}

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

export function handleRenew(ctx: HandlerContext, cmd: Of<'renew'>): Promise<Outcome> {
  return run(
    ctx,
    cmd,
    () => recordRenewal(ctx.tx, cmd, commandContext(ctx)),
    renewalKey(cmd.instanceId, cmd.orderId, cmd.orderLineId, cmd.scene),
  );
}

export function handleUpgrade(ctx: HandlerContext, cmd: Of<'upgrade'>): Promise<Outcome> {
  return run(
    ctx,
    cmd,
    () => recordUpgrade(ctx.tx, cmd, commandContext(ctx)),
    upgradeKey(cmd.instanceId, cmd.orderId, cmd.orderLineId),
  );
}

export function handleExpire(ctx: HandlerContext, cmd: Of<'expire'>): Promise<Outcome> {
  const input = {
    instanceId: cmd.instanceId,
    frozen: true,
    kind: 'expire',
    test: cmd.test,
  } as const;
  return run(ctx, cmd, () => setFrozen(ctx.tx, input, commandContext(ctx)), null);
}

export function handleStatus(ctx: HandlerContext, cmd: Of<'status'>): Promise<Outcome> {
  const kind = cmd.frozen ? 'freeze' : 'unfreeze';
  const input = { instanceId: cmd.instanceId, frozen: cmd.frozen, kind, test: cmd.test } as const;
  return run(ctx, cmd, () => setFrozen(ctx.tx, input, commandContext(ctx)), null);
}

/** Release destroys the buyer's resources; a repeat for a released instance answers success. */
export function handleRelease(ctx: HandlerContext, cmd: Of<'release'>): Promise<Outcome> {
  const input = {
    instanceId: cmd.instanceId,
    by: 'marketplace',
    orderId: cmd.orderId,
    orderLineId: cmd.orderLineId,
  } as const;
  return run(
    ctx,
    cmd,
    () => requestRelease(ctx.tx, input, commandContext(ctx)),
    releaseKey(cmd.instanceId),
  );
}
