import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/database.js';
import type { Operation } from '../platform/db/schema.js';
import type { Ids } from '../platform/ids.js';
import { OPERATIONS_QUEUE } from './engine.js';
import type { Overrides } from './plan.js';
import { insertOperation } from './store.js';
import type { StepRecord, WorkflowControl } from './workflow-control.js';

/**
 * What an operator can do to a deployment: rerun a failed operation (from the failed step, or a
 * named one, with edited inputs), cancel one, retry a cleanup that failed, release an instance by
 * hand. Each validates first and says precisely why it refuses.
 */
export class ActionRefused extends Error {
  override name = 'ActionRefused';
  constructor(
    message: string,
    readonly code: 'NOT_FOUND' | 'CONFLICT' | 'INVALID_REQUEST',
  ) {
    super(message);
  }
}

const rerunnable = ['failed', 'cancelled', 'cleanup_failed'];
/** Edited inputs are decided by the plan: a rerun that changes them starts there. */
const overridable: Array<keyof Overrides> = [
  'flavor',
  'az',
  'imageId',
  'sshPort',
  'templateVersion',
];

export interface OperatorActionsDeps {
  db: Db;
  clock: Clock;
  ids: Ids;
  workflows: WorkflowControl;
}

async function load(db: Db, opId: string): Promise<Operation> {
  const op = await db
    .selectFrom('operations')
    .selectAll()
    .where('id', '=', opId)
    .executeTakeFirst();
  if (!op) throw new ActionRefused(`no operation ${opId}`, 'NOT_FOUND');
  return op;
}

export function createOperatorActions(deps: OperatorActionsDeps) {
  const { db, clock } = deps;

  /** Picks the step a rerun starts at: explicit, or where it failed; the plan when inputs change. */
  function startStep(
    steps: StepRecord[],
    op: Operation,
    from: string | undefined,
    overrides: Overrides | undefined,
  ): StepRecord {
    const named = (name: string) => [...steps].reverse().find((s) => s.name === name);
    const first = (name: string) => steps.find((s) => s.name === name);
    let target: StepRecord | undefined;
    if (from) {
      target = first(from);
      if (!target) {
        const names = [...new Set(steps.map((s) => s.name))].filter(
          (n) => n !== 'begin' && n !== 'finish',
        );
        throw new ActionRefused(
          `operation ${op.id} has no step ${from} (steps: ${names.join(', ')})`,
          'INVALID_REQUEST',
        );
      }
    } else {
      target =
        (op.failed_step && named(op.failed_step)) ||
        [...steps].reverse().find((s) => s.error && s.name !== 'finish');
      if (!target)
        throw new ActionRefused(
          `operation ${op.id} has no failed step to rerun from: name one with --from`,
          'INVALID_REQUEST',
        );
    }
    const edits = overrides && overridable.some((k) => overrides[k] !== undefined);
    const plan = first('plan');
    if (edits && plan && target.functionId > plan.functionId) return plan;
    return target;
  }

  const operationSteps = (workflowId: string) => deps.workflows.listSteps(workflowId);
  return {
    /** The steps of an operation's workflow, in order, with timings and errors. */
    operationSteps,

    /**
     * Reruns a failed, cancelled or cleanup-failed operation from a step, under the same
     * workflow id: the steps before it keep their recorded results (nothing is created twice),
     * the step and everything after it run again, with `overrides` applied from the plan on.
     */
    async rerun(
      opId: string,
      input: { from?: string; overrides?: Overrides; reason: string; actor: string },
    ) {
      const op = await load(db, opId);
      if (!rerunnable.includes(op.status)) {
        throw new ActionRefused(
          `operation ${opId} is ${op.status}: only failed, cancelled or cleanup_failed operations can be rerun`,
          'CONFLICT',
        );
      }
      const instance = op.instance_id
        ? await db
            .selectFrom('instances')
            .select(['status'])
            .where('id', '=', op.instance_id)
            .executeTakeFirst()
        : undefined;
      if (
        instance &&
        (instance.status === 'released' || instance.status === 'releasing') &&
        op.kind !== 'release'
      ) {
        throw new ActionRefused(
          `instance ${op.instance_id} is ${instance.status}: nothing to rerun`,
          'CONFLICT',
        );
      }
      const steps = await operationSteps(op.workflow_id ?? op.id);
      const start = startStep(steps, op, input.from, input.overrides);
      const overrides = { ...(op.overrides as Overrides), ...input.overrides };
      const now = clock.now();
      await db.transaction().execute(async (tx) => {
        await tx
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

          .where('id', '=', opId)
          .execute();
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
            operation_id: opId,
            instance_id: op.instance_id,
            at: now,
            level: 'warn',
            step: start.name,
            stream: null,
            message: `rerun from ${start.name} by ${input.actor}${Object.keys(input.overrides ?? {}).length ? ` with ${JSON.stringify(input.overrides)}` : ''}: ${input.reason}`,
          })
          .execute();
      });
      await deps.workflows.rewind(op.workflow_id ?? op.id, {
        startStep: start.functionId,
        queueName: OPERATIONS_QUEUE,
        queuePartitionKey: op.instance_id ?? `order:${op.order_id}`,
      });
      return { operationId: opId, from: start.name, overrides };
    },

    /** Asks a pending or running operation to stop at its next step (or at once if it waits). */
    async cancel(opId: string, input: { reason: string; actor: string }) {
      const op = await load(db, opId);
      if (op.status !== 'pending' && op.status !== 'running') {
        throw new ActionRefused(
          `operation ${opId} is ${op.status}: only pending or running operations can be cancelled`,
          'CONFLICT',
        );
      }
      if (op.kind === 'release')
        throw new ActionRefused(
          'a release is not cancellable: it would leave resources half-deleted',
          'CONFLICT',
        );
      const now = clock.now();
      await db
        .updateTable('operations')
        .set({ cancel_requested_at: now })
        .where('id', '=', opId)
        .execute();
      await db
        .insertInto('operation_logs')
        .values({
          operation_id: opId,
          instance_id: op.instance_id,
          at: now,
          level: 'warn',
          step: null,
          stream: null,
          message: `cancel requested by ${input.actor}: ${input.reason}`,
        })
        .execute();
      return { operationId: opId };
    },

    /** Reruns the cleanup of an operation whose cleanup failed (or a failed release). */
    async retryCleanup(opId: string, input: { reason: string; actor: string }) {
      const op = await load(db, opId);
      if (op.status !== 'cleanup_failed' && !(op.kind === 'release' && op.status === 'failed')) {
        throw new ActionRefused(
          `operation ${opId} is ${op.status}: retry-cleanup is for cleanup_failed operations and failed releases`,
          'CONFLICT',
        );
      }
      const steps = await operationSteps(op.workflow_id ?? op.id);
      const from = steps.find(
        (s) => s.name === 'cleanup-servers' || s.name === 'delete-servers',
      )?.name;
      if (!from)
        throw new ActionRefused(`operation ${opId} ran no cleanup step`, 'INVALID_REQUEST');
      return this.rerun(opId, { from, reason: input.reason, actor: input.actor });
    },

    /** Manual teardown: records a release for the instance, as the marketplace would. */
    async release(instanceId: string, input: { reason: string; actor: string }) {
      const inst = await db
        .selectFrom('instances')
        .select(['id', 'status', 'order_id', 'test'])
        .where('id', '=', instanceId)
        .executeTakeFirst();
      if (!inst) throw new ActionRefused(`no instance ${instanceId}`, 'NOT_FOUND');
      if (inst.status === 'released')
        throw new ActionRefused(`instance ${instanceId} is already released`, 'CONFLICT');
      const now = clock.now();
      return db.transaction().execute(async (tx) => {
        const op = await insertOperation(tx, {
          id: deps.ids.next('op'),
          instance_id: instanceId,
          kind: 'release',
          status: 'pending',
          idempotency_key: `release:${instanceId}`,
          order_id: inst.order_id,
          order_line_id: null,
          params: JSON.stringify({ manual: true, actor: input.actor, reason: input.reason }),
          params_sealed: null,
          inbox_id: null,
          test: inst.test,
          created_at: now,
        });
        if (!op)
          throw new ActionRefused(
            `instance ${instanceId} already has a release: rerun it with kgd deployments rerun`,
            'CONFLICT',
          );
        await tx
          .updateTable('instances')
          .set({ status: 'releasing', updated_at: now })
          .where('id', '=', instanceId)
          .execute();
        await tx
          .updateTable('operations')
          .set({ cancel_requested_at: now })
          .where('instance_id', '=', instanceId)
          .where('kind', '!=', 'release')
          .where('status', 'in', ['pending', 'running'])
          .execute();
        return { operationId: op.id };
      });
    },
  };
}

export type OperatorActions = ReturnType<typeof createOperatorActions>;
