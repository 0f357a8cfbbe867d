import { insertOperation, lockInstance, updateInstance } from '../../deployments/store.js';
import type { Instance, OperationKind } from '../../platform/db/schema.js';
import type { Command } from '../activities/commands.js';
import { answer } from '../gateway/answers.js';
import { type HandlerContext, type Outcome, outcome, privatePurpose } from './context.js';

type Of<K extends Command['kind']> = Extract<Command, { kind: K }>;

const gone = (inst: Instance) => inst.status === 'released' || inst.status === 'releasing';

function unknown(instanceId: string): Outcome {
  return outcome(answer('000003', `instance ${instanceId.slice(0, 64)} does not exist`));
}

/** Records an operation for an instance; a duplicate (same key) answers success without one. */
async function record(
  ctx: HandlerContext,
  inst: Instance,
  kind: OperationKind,
  key: string | null,
  params: Record<string, unknown>,
  extra: {
    orderId?: string | null;
    orderLineId?: string | null;
    sealed?: string | null;
    test: boolean;
  },
): Promise<Outcome> {
  const { tx, deps, now } = ctx;
  const op = await insertOperation(tx, {
    id: deps.ids.next('op'),
    instance_id: inst.id,
    kind,
    status: 'pending',
    idempotency_key: key,
    order_id: extra.orderId ?? null,
    order_line_id: extra.orderLineId ?? null,
    params: JSON.stringify(params),
    params_sealed: extra.sealed ?? null,
    inbox_id: null,
    test: extra.test,
    created_at: now,
  });
  return outcome(answer('000000'), {
    idempotencyKey: key,
    duplicate: !op,
    instanceId: inst.id,
    operationId: op?.id ?? null,
    wake: op ? [inst.id] : [],
  });
}

export async function handleRenew(ctx: HandlerContext, cmd: Of<'renew'>): Promise<Outcome> {
  const inst = await lockInstance(ctx.tx, cmd.instanceId);
  if (!inst || gone(inst)) return unknown(cmd.instanceId);
  const key = `renew:${inst.id}:${cmd.orderId}:${cmd.orderLineId ?? '-'}:${cmd.scene}`;
  const result = await record(
    ctx,
    inst,
    'renew',
    key,
    {
      scene: cmd.scene,
      productId: cmd.productId,
      expireTime: cmd.expireTime?.toISOString() ?? null,
      previousExpireTime: inst.expires_at?.toISOString() ?? null,
      periodType: cmd.periodType,
      periodNumber: cmd.periodNumber,
      orderAmount: cmd.orderAmount,
    },
    { orderId: cmd.orderId, orderLineId: cmd.orderLineId, test: cmd.test },
  );
  if (!result.duplicate) {
    // A renewal that extends the period lifts an expiry freeze; a cancelled period only moves the date.
    const extends_ =
      cmd.scene !== 'UNSUBSCRIBE_RENEWAL_PERIOD' && (!cmd.expireTime || cmd.expireTime > ctx.now);
    await updateInstance(ctx.tx, inst.id, {
      ...(cmd.expireTime ? { expires_at: cmd.expireTime } : {}),
      ...(cmd.scene === 'TRIAL_TO_FORMAL' ? { trial: false } : {}),
      ...(cmd.productId ? { product_id: cmd.productId } : {}),
      ...(extends_ && inst.frozen ? { frozen: false } : {}),
      updated_at: ctx.now,
    });
  }
  return result;
}

export async function handleUpgrade(ctx: HandlerContext, cmd: Of<'upgrade'>): Promise<Outcome> {
  const inst = await lockInstance(ctx.tx, cmd.instanceId);
  if (!inst || gone(inst)) return unknown(cmd.instanceId);
  const key = `upgrade:${inst.id}:${cmd.orderId}:${cmd.orderLineId ?? '-'}`;
  const sealed =
    cmd.extendParams.length > 0
      ? ctx.deps.secretBox.seal(
          JSON.stringify({ extendParams: cmd.extendParams }),
          privatePurpose(inst.id),
        )
      : null;
  return record(
    ctx,
    inst,
    'upgrade',
    key,
    {
      productId: cmd.productId,
      skuCode: cmd.skuCode,
      linear: cmd.linear,
      extendParamNames: cmd.extendParams.map((p) => p.name),
    },
    { orderId: cmd.orderId, orderLineId: cmd.orderLineId, sealed, test: cmd.test },
  );
}

/**
 * Expiry and freeze/unfreeze are idempotent on the instance's desired state, read under a row
 * lock: a second FREEZE while frozen is a duplicate, FREEZE → UNFREEZE → FREEZE are three changes.
 * Expiry keeps the buyer's data (spec §4): it freezes, it does not destroy.
 */
async function setFrozen(
  ctx: HandlerContext,
  instanceId: string,
  frozen: boolean,
  kind: OperationKind,
  test: boolean,
): Promise<Outcome> {
  const inst = await lockInstance(ctx.tx, instanceId);
  if (!inst) return unknown(instanceId);
  // Nothing left to freeze after a release; answering success stops pointless marketplace retries.
  if (gone(inst) || inst.frozen === frozen) {
    return outcome(answer('000000'), { duplicate: true, instanceId: inst.id });
  }
  await updateInstance(ctx.tx, inst.id, { frozen, updated_at: ctx.now });
  return record(ctx, inst, kind, null, { frozen }, { test });
}

export function handleExpire(ctx: HandlerContext, cmd: Of<'expire'>): Promise<Outcome> {
  return setFrozen(ctx, cmd.instanceId, true, 'expire', cmd.test);
}

export function handleStatus(ctx: HandlerContext, cmd: Of<'status'>): Promise<Outcome> {
  return setFrozen(ctx, cmd.instanceId, cmd.frozen, cmd.frozen ? 'freeze' : 'unfreeze', cmd.test);
}

/** Release destroys the buyer's resources; a repeat for a released instance answers success. */
export async function handleRelease(ctx: HandlerContext, cmd: Of<'release'>): Promise<Outcome> {
  const inst = await lockInstance(ctx.tx, cmd.instanceId);
  if (!inst) return unknown(cmd.instanceId);
  const result = await record(
    ctx,
    inst,
    'release',
    `release:${inst.id}`,
    {},
    { orderId: cmd.orderId, orderLineId: cmd.orderLineId, test: cmd.test },
  );
  if (!result.duplicate && !gone(inst)) {
    await updateInstance(ctx.tx, inst.id, { status: 'releasing', updated_at: ctx.now });
    // A release cancels what is in flight for the instance (deploy, renewal...): they stop at
    // their next step and the release, queued behind them, tears everything down.
    await ctx.tx
      .updateTable('operations')
      .set({ cancel_requested_at: ctx.now })
      .where('instance_id', '=', inst.id)
      .where('kind', '!=', 'release')
      .where('status', 'in', ['pending', 'running'])
      .where('cancel_requested_at', 'is', null)
      .execute();
  }
  return result;
}
