import { DBOS } from '@dbos-inc/dbos-sdk';
import type { OperationKind, OperationStatus } from '../platform/db/schema.js';
import { createFlow, type EngineDeps, type Flow, type OperationSnapshot } from './flow-context.js';
import { deployFlow } from './flows/deploy.js';
import { freezeFlow, renewFlow, unfreezeFlow, upgradeFlow } from './flows/lifecycle.js';
import { releaseFlow } from './flows/release.js';
import { syncFlow } from './flows/sync.js';
import { deleteNetworkOf, deleteServersOf, verifyNothingLeft } from './steps/teardown.js';
import { updateInstance } from './store.js';

/**
 * One durable workflow per operation (workflow id = operation id). The workflow marks the
 * operation running, runs the flow of its kind, and records the outcome. A permanent failure is
 * recorded only after the cleanup the product asks for; a cleanup that fails is its own state.
 */
const flows: Record<OperationKind, (flow: Flow) => Promise<void>> = {
  deploy: deployFlow,
  renew: renewFlow,
  expire: freezeFlow,
  freeze: freezeFlow,
  unfreeze: unfreezeFlow,
  upgrade: upgradeFlow,
  release: releaseFlow,
  sync: syncFlow,
  license: async () => {},
};

const terminal: OperationStatus[] = [
  'succeeded',
  'failed',
  'cancelled',
  'superseded',
  'cleanup_failed',
];

export interface OperationOutcome {
  status: OperationStatus;
  failedStep?: string;
  error?: string;
}

async function begin(deps: EngineDeps, opId: string): Promise<OperationSnapshot | null> {
  const op = await deps.db
    .selectFrom('operations')
    .selectAll()
    .where('id', '=', opId)
    .executeTakeFirst();
  if (!op || terminal.includes(op.status)) return null;
  const now = deps.clock.now();
  await deps.db
    .updateTable('operations')
    .set((eb) => ({
      status: 'running',
      started_at: op.started_at ?? now,
      attempts: eb('attempts', '+', 1),
    }))
    .where('id', '=', opId)
    .execute();
  if (op.kind === 'deploy' && op.instance_id) {
    await deps.db
      .updateTable('instances')
      .set({ status: 'deploying', updated_at: now })
      .where('id', '=', op.instance_id)
      .where('status', 'in', ['pending', 'failed', 'deploying'])
      .execute();
  }
  await deps.journal.write({
    operationId: op.id,
    instanceId: op.instance_id,
    level: 'info',
    step: 'begin',
    message: `${op.kind} started (attempt ${op.attempts + 1})`,
  });
  return {
    id: op.id,
    kind: op.kind,
    instanceId: op.instance_id ?? `order:${op.order_id}`,
    orderId: op.order_id,
    orderLineId: op.order_line_id,
    params: op.params,
    test: op.test,
  };
}

function describe(err: unknown) {
  const e = err as { name?: string; message?: string; code?: string; kind?: string };
  return {
    name: e?.name ?? 'Error',
    message: e?.message ?? String(err),
    ...(e?.code ? { code: e.code } : {}),
    ...(e?.kind ? { kind: e.kind } : {}),
  };
}

async function finish(
  deps: EngineDeps,
  op: OperationSnapshot,
  outcome: OperationOutcome,
  detail?: Record<string, unknown>,
) {
  const now = deps.clock.now();
  await deps.db
    .updateTable('operations')
    .set({
      status: outcome.status,
      finished_at: now,
      failed_step: outcome.failedStep ?? null,
      error: detail ? JSON.stringify(detail) : null,
    })
    .where('id', '=', op.id)
    .execute();
  const instanceStatus =
    outcome.status === 'cleanup_failed'
      ? 'cleanup_failed'
      : outcome.status === 'failed' && op.kind === 'release'
        ? 'cleanup_failed'
        : outcome.status === 'failed' && op.kind === 'deploy'
          ? 'failed'
          : outcome.status === 'cancelled' && op.kind === 'deploy'
            ? 'failed'
            : undefined;
  if (instanceStatus && !op.instanceId.startsWith('order:')) {
    await deps.db
      .updateTable('instances')
      .set({ status: instanceStatus, status_detail: outcome.error ?? null, updated_at: now })
      .where('id', '=', op.instanceId)
      // A release recorded meanwhile owns the instance's status.
      .where('status', 'not in', ['releasing', 'released'])
      .execute();
  } else if (outcome.status === 'failed' && !op.instanceId.startsWith('order:')) {
    await updateInstance(deps.db, op.instanceId, {
      status_detail: `${op.kind} failed: ${outcome.error}`,
      updated_at: now,
    });
  }
  await deps.journal.write({
    operationId: op.id,
    instanceId: op.instanceId.startsWith('order:') ? null : op.instanceId,
    level:
      outcome.status === 'succeeded' ? 'info' : outcome.status === 'cancelled' ? 'warn' : 'error',
    step: 'finish',
    message: `${op.kind} ${outcome.status}${outcome.failedStep ? ` at ${outcome.failedStep}` : ''}${outcome.error ? `: ${outcome.error}` : ''}`,
  });
  return outcome;
}

/** What a failed deploy leaves: everything (keep, for inspection) or nothing (destroy). */
async function compensate(flow: Flow): Promise<'kept' | 'destroyed' | 'cleanup-failed'> {
  const { deps, op } = flow;
  const policy = await flow.step('failure-policy', 'local', async () => {
    const inst = await deps.db
      .selectFrom('instances')
      .select(['product_name'])
      .where('id', '=', op.instanceId)
      .executeTakeFirst();
    return (
      (inst?.product_name && deps.catalog.byName(inst.product_name)?.lifecycle.onFailure) || 'keep'
    );
  });
  if (policy === 'keep') return 'kept';
  try {
    await flow.step('cleanup-servers', 'cloud', (s) => deleteServersOf(deps, op.instanceId, s));
    await flow.step('cleanup-network', 'cloud', (s) => deleteNetworkOf(deps, op.instanceId, s));
    await flow.step('cleanup-verify', 'cloud', (s) => verifyNothingLeft(deps, op.instanceId, s));
    return 'destroyed';
  } catch {
    return 'cleanup-failed';
  }
}

export async function runOperation(deps: EngineDeps, opId: string): Promise<OperationOutcome> {
  const op = await DBOS.runStep(() => begin(deps, opId), { name: 'begin' });
  if (!op) return { status: 'superseded' };
  const flow = trackSteps(createFlow(deps, op, op.kind !== 'release'));
  try {
    await flows[op.kind](flow);
    return await DBOS.runStep(() => finish(deps, op, { status: 'succeeded' }), { name: 'finish' });
  } catch (err) {
    const failedStep = flow.current;
    const d = describe(err);
    if (d.name === 'OperationCancelled') {
      return DBOS.runStep(
        () => finish(deps, op, { status: 'cancelled', failedStep, error: 'cancelled' }, d),
        { name: 'finish' },
      );
    }
    // Compensation is not cancellable: a release arriving meanwhile finds the same resources either way.
    const cleanup =
      op.kind === 'deploy' ? await compensate(trackSteps(createFlow(deps, op, false))) : 'kept';
    const status: OperationStatus = cleanup === 'cleanup-failed' ? 'cleanup_failed' : 'failed';
    const error =
      cleanup === 'destroyed' ? `${d.message} (created resources destroyed)` : d.message;
    return DBOS.runStep(() => finish(deps, op, { status, failedStep, error }, { ...d, cleanup }), {
      name: 'finish',
    });
  }
}

/**
 * Remembers which step failed (deterministic: same on replay): the last one started, or the
 * first of several running side by side to throw.
 */
function trackSteps(flow: Flow): Flow & { current?: string } {
  let failed: string | undefined;
  const tracked: Flow & { current?: string } = {
    ...flow,
    step(name, policy, fn) {
      tracked.current = name;
      return flow.step(name, policy, fn).catch((err: unknown) => {
        failed ??= name;
        tracked.current = failed;
        throw err;
      });
    },
  };
  return tracked;
}
