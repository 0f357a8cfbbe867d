import type { Db } from '../../platform/db/database.js';
import type { Operation } from '../../platform/db/schema.js';
import { ActionError } from '../../platform/errors.js';
import { OPERATIONS_QUEUE, partitionKeyOf } from '../engine/queue.js';
import type { StepRecord, WorkflowControl } from '../engine/workflow-control.js';
import { type Overrides, overrideKeys } from '../model/overrides.js';
import { isGone, isOpen, needsCleanup, rerunnableOperation } from '../model/states.js';

/**
 * What an operator can do to an operation: rerun it (from the failed step, or a named one, with
 * edited inputs), cancel it, retry a cleanup that failed. Each checks first and says precisely why
 * it refuses (`ActionError`); the operator surfaces translate and audit.
 */
export interface OperatorCommandContext {
  db: Db;
  now: Date;
  workflows: Pick<WorkflowControl, 'listSteps' | 'rewind'>;
}

export interface Who {
  actor: string;
  reason: string;
}

async function load(db: Db, operationId: string): Promise<Operation> {
  const op = await db
    .selectFrom('operations')
    .selectAll()
    .where('id', '=', operationId)
    .executeTakeFirst();
  if (!op) throw new ActionError('NOT_FOUND', `no operation ${operationId}`);
  return op;
}

const visibleSteps = (steps: StepRecord[]) =>
  [...new Set(steps.map((s) => s.name))].filter((n) => n !== 'begin' && n !== 'finish');

/**
 * The step a rerun starts at: named, or where it failed; the plan when inputs change, or when the
 * failure's cleanup destroyed what the steps before it had created.
 */
export function rerunStart(
  steps: StepRecord[],
  op: Pick<Operation, 'id' | 'failed_step' | 'error'>,
  from: string | undefined,
  overrides: Overrides | undefined,
): StepRecord {
  const last = (name: string) => [...steps].reverse().find((s) => s.name === name);
  const first = (name: string) => steps.find((s) => s.name === name);
  let target: StepRecord | undefined;
  if (from) {
    target = first(from);
    if (!target)
      throw new ActionError(
        'INVALID_REQUEST',
        `operation ${op.id} has no step ${from} (steps: ${visibleSteps(steps).join(', ')})`,
      );
  } else {
    target =
      (op.failed_step ? last(op.failed_step) : undefined) ??
      [...steps].reverse().find((s) => s.error && s.name !== 'finish');
    if (!target)
      throw new ActionError(
        'INVALID_REQUEST',
        `operation ${op.id} has no failed step to rerun from: name one with --from`,
      );
  }
  const edits = overrides && overrideKeys.some((k) => overrides[k] !== undefined);
  const destroyed = op.error?.cleanup === 'destroyed';
  const plan = first('plan');
  if ((edits || destroyed) && plan && target.functionId > plan.functionId) return plan;
  return target;
}

/**
 * Reruns a failed, cancelled or cleanup-failed operation from a step, under the same workflow id:
 * the steps before it keep their recorded results (nothing is created twice), the step and
 * everything after it run again, with `overrides` applied from the plan on.
 */
export async function rerun(
  input: Who & {
    operationId: string;
    from?: string | undefined;
    overrides?: Overrides | undefined;
  },
  ctx: OperatorCommandContext,
) {
  const { db, now } = ctx;
  const op = await load(db, input.operationId);
  if (!rerunnableOperation.includes(op.status))
    throw new ActionError(
      'CONFLICT',
      `operation ${op.id} is ${op.status}: only failed, cancelled or cleanup_failed operations can be rerun`,
    );
  if (op.instance_id && op.kind !== 'release') {
    const inst = await db
      .selectFrom('instances')
      .select('status')
      .where('id', '=', op.instance_id)
      .executeTakeFirst();
    if (inst && isGone(inst.status))
      throw new ActionError(
        'CONFLICT',
        `instance ${op.instance_id} is ${inst.status}: nothing to rerun`,
      );
  }
  const workflowId = op.workflow_id ?? op.id;
  const start = rerunStart(
    await ctx.workflows.listSteps(workflowId),
    op,
    input.from,
    input.overrides,
  );
  const overrides = { ...(op.overrides as Overrides), ...input.overrides };
  const edits = Object.keys(input.overrides ?? {}).length
    ? ` with ${JSON.stringify(input.overrides)}`
    : '';
  await db.transaction().execute(async (tx) => {
    const updated = await tx
      .updateTable('operations')
      .set((eb) => ({
        status: 'running',
        finished_at: null,
        error: null,
        failed_step: null,
        cancel_requested_at: null,
        overrides: JSON.stringify(overrides),
        reruns: eb('reruns', '+', 1),
      }))
      .where('id', '=', op.id)
      // Checked again under the row's lock: two operators rerunning at once rerun it once.
      .where('status', 'in', rerunnableOperation)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0)
      throw new ActionError('CONFLICT', `operation ${op.id} changed meanwhile: look again`);
    if (op.instance_id && op.kind === 'deploy') {
      await tx
        .updateTable('instances')
        .set({
          status: 'deploying',
          status_detail: `rerun from ${start.name}: ${input.reason}`,
          alerted_at: null,
          updated_at: now,
        })
        .where('id', '=', op.instance_id)
        .execute();
    }
    await tx
      .insertInto('operation_logs')
      .values({
        operation_id: op.id,
        instance_id: op.instance_id,
        at: now,
        level: 'warn',
        step: start.name,
        stream: null,
        message: `rerun from ${start.name} by ${input.actor}${edits}: ${input.reason}`,
      })
      .execute();
  });
  await ctx.workflows.rewind(workflowId, {
    startStep: start.functionId,
    queueName: OPERATIONS_QUEUE,
    queuePartitionKey: partitionKeyOf(op),
  });
  return { operationId: op.id, from: start.name, overrides, edits: input.overrides ?? {} };
}

/** Asks a pending or running operation to stop at its next step (or at once if it waits). */
export async function cancel(
  input: Who & { operationId: string },
  ctx: Pick<OperatorCommandContext, 'db' | 'now'>,
) {
  const op = await load(ctx.db, input.operationId);
  if (!isOpen(op.status))
    throw new ActionError(
      'CONFLICT',
      `operation ${op.id} is ${op.status}: only pending or running operations can be cancelled`,
    );
  if (op.kind === 'release')
    throw new ActionError(
      'CONFLICT',
      'a release is not cancellable: it would leave resources half-deleted',
    );
  await ctx.db.transaction().execute(async (tx) => {
    await tx
      .updateTable('operations')
      .set({ cancel_requested_at: ctx.now })
      .where('id', '=', op.id)
      .execute();
    await tx
      .insertInto('operation_logs')
      .values({
        operation_id: op.id,
        instance_id: op.instance_id,
        at: ctx.now,
        level: 'warn',
        step: null,
        stream: null,
        message: `cancel requested by ${input.actor}: ${input.reason}`,
      })
      .execute();
  });
  return { operationId: op.id };
}

/** The teardown's first step: where a cleanup (a failed release, a failed deploy's) restarts. */
const teardownFirstStep = 'delete-servers';

/** Reruns the cleanup of an operation whose cleanup failed (or a failed release). */
export async function retryCleanup(
  input: Who & { operationId: string },
  ctx: OperatorCommandContext,
) {
  const op = await load(ctx.db, input.operationId);
  if (!needsCleanup(op))
    throw new ActionError(
      'CONFLICT',
      `operation ${op.id} is ${op.status}: retry-cleanup is for cleanup_failed operations and failed releases`,
    );
  const steps = await ctx.workflows.listSteps(op.workflow_id ?? op.id);
  if (!steps.some((s) => s.name === teardownFirstStep))
    throw new ActionError('INVALID_REQUEST', `operation ${op.id} ran no cleanup step`);
  return rerun({ ...input, from: teardownFirstStep }, ctx);
}
