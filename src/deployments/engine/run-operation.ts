import type { OperationKind, OperationStatus } from '../../platform/db/schema.js';
import { Cancelled, messageOf } from '../../platform/errors.js';
import { type ActiveSpan, inSpan } from '../../platform/tracing.js';
import { deployFlow } from '../flows/deploy.js';
import { type Flow, type FlowContext, tearDown } from '../flows/flow.js';
import { licenseUploadFlow } from '../flows/license-upload.js';
import { freezeFlow, renewFlow, unfreezeFlow, upgradeFlow } from '../flows/lifecycle.js';
import { releaseFlow } from '../flows/release.js';
import { syncFlow } from '../flows/sync.js';
import type { DeploymentStore, Journal, OperationOutcome, OperationSnapshot } from '../ports.js';
import type { DeploySteps } from '../steps/index.js';
import { type Checkpoint, createSteps, type StepRunnerDeps } from './steps.js';

/**
 * One durable workflow per operation (workflow id = operation id): begin, the flow of its kind,
 * finish — each through the same step runner. A permanent failure is recorded only after the
 * cleanup the product asks for; a cleanup that fails is its own state.
 */
const flows: Record<OperationKind, Flow> = {
  deploy: deployFlow,
  renew: renewFlow,
  expire: freezeFlow,
  freeze: freezeFlow,
  unfreeze: unfreezeFlow,
  upgrade: upgradeFlow,
  release: releaseFlow,
  sync: syncFlow,
  license: async () => undefined,
  'license-upload': licenseUploadFlow,
};

export interface OperationDeps extends StepRunnerDeps {
  store: DeploymentStore;
  journal: Journal;
  steps: DeploySteps;
}

const summary = (op: OperationSnapshot, o: OperationOutcome) =>
  `${op.kind} ${o.status}${o.failedStep ? ` at ${o.failedStep}` : ''}${o.error ? `: ${o.error}` : ''}`;

/**
 * Runs the operation's workflow in one span continuing `traceParent`, the trace of the call that
 * recorded the operation (from the workflow's stored input: the same after a restart). Steps
 * replayed from their checkpoints are not traced again; those that run are, each attempt.
 */
export function runOperation(
  deps: OperationDeps,
  operationId: string,
  checkpoint: Checkpoint,
  traceParent?: string | null,
): Promise<OperationOutcome> {
  return inSpan(
    'operation',
    { 'kgd.operation_id': operationId },
    async (span) => {
      const outcome = await operation(deps, operationId, checkpoint, span);
      span.setAttributes({ 'kgd.outcome': outcome.status, 'kgd.failed_step': outcome.failedStep });
      return outcome;
    },
    { parent: traceParent },
  );
}

async function operation(
  deps: OperationDeps,
  operationId: string,
  checkpoint: Checkpoint,
  span: ActiveSpan,
): Promise<OperationOutcome> {
  const boot = createSteps(
    deps,
    { operationId, instanceId: null, kind: 'unknown', cancellable: false },
    checkpoint,
  );
  const op = await boot.run('begin', 'local', async (s) => {
    const snapshot = await deps.store.beginOperation(operationId);
    if (snapshot) await s.log('info', `${snapshot.kind} started (attempt ${snapshot.attempt})`);
    return snapshot;
  });
  if (!op) return { status: 'superseded' };
  span.setAttributes({
    'kgd.operation_kind': op.kind,
    'kgd.instance_id': orderLevel(op) ? undefined : op.instanceId,
    'kgd.order_id': op.orderId ?? undefined,
    'kgd.attempt': op.attempt,
  });
  const owner = {
    operationId: op.id,
    instanceId: orderLevel(op) ? null : op.instanceId,
    kind: op.kind,
  };
  const steps = createSteps(deps, { ...owner, cancellable: op.kind !== 'release' }, checkpoint);
  // Cleanup and the end are not cancellable: a release arriving meanwhile finds the same state.
  const settle = createSteps(deps, { ...owner, cancellable: false }, checkpoint);
  const ctx: FlowContext = { op, steps, d: deps.steps };

  const finish = (
    outcome: OperationOutcome,
    patch?: Parameters<DeploymentStore['finishOperation']>[2],
  ) =>
    settle.run('finish', 'local', async (s) => {
      await deps.store.finishOperation(op, outcome, patch);
      await s.log(
        outcome.status === 'succeeded' ? 'info' : outcome.status === 'cancelled' ? 'warn' : 'error',
        summary(op, outcome),
      );
      return outcome;
    });

  let failure: unknown;
  try {
    const patch = await flows[op.kind](ctx);
    return await finish({ status: 'succeeded' }, patch);
  } catch (err) {
    failure = err;
  }
  const failedStep = steps.failedStep;
  const error = messageOf(failure);
  const detail = { name: (failure as Error)?.name ?? 'Error', message: error };
  if (failure instanceof Cancelled)
    return finish({ status: 'cancelled', failedStep, error: 'cancelled', detail });
  const cleanup =
    op.kind === 'deploy' ? await compensate({ op, steps: settle, d: deps.steps }) : 'kept';
  const status: OperationStatus = cleanup === 'cleanup-failed' ? 'cleanup_failed' : 'failed';
  return finish({
    status,
    failedStep,
    error: cleanup === 'destroyed' ? `${error} (created resources destroyed)` : error,
    detail: { ...detail, cleanup },
  });
}

const orderLevel = (op: OperationSnapshot) => op.instanceId.startsWith('order:');

/** What a failed deploy leaves: everything (keep, for inspection) or nothing (destroy). */
async function compensate(ctx: FlowContext): Promise<'kept' | 'destroyed' | 'cleanup-failed'> {
  const { op, steps, d } = ctx;
  const policy = await steps.run('failure-policy', 'local', () => d.failurePolicy(op.instanceId));
  if (policy === 'keep') return 'kept';
  try {
    await tearDown(ctx);
    return 'destroyed';
  } catch {
    return 'cleanup-failed';
  }
}
