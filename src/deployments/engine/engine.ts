import { DBOS } from '@dbos-inc/dbos-sdk';
import type { Db } from '../../platform/db/database.js';
import type { Ids } from '../../platform/ids.js';
import type { Logger } from '../../platform/logger.js';
import { runEvery } from '../../platform/periodic.js';
import { pollUntil } from '../../platform/poll.js';
import type { OperationDispatcher } from '../dispatcher.js';
import type { OperationOutcome } from '../ports.js';
import { dbosCheckpoint } from './dbos-steps.js';
import { createHalt } from './halt.js';
import { OPERATION_WORKFLOW, OPERATIONS_QUEUE, partitionKeyOf } from './queue.js';
import { type OperationDeps, runOperation } from './run-operation.js';

/** What the engine needs besides the operation's: the database its queue is fed from. */
export interface EngineDeps extends OperationDeps {
  db: Db;
  ids: Ids;
  logger: Logger;
}

export interface EngineOptions {
  /** Operations running at once across all replicas (cloud API quotas). */
  concurrency: number;
  /** Operations running at once in this process. */
  workerConcurrency?: number;
  /** How often pending operations are looked for (wakes lost in a crash are found here). */
  sweepIntervalMs: number;
  /** How often the queue is polled for work (DBOS queue dispatch). */
  queuePollMs?: number;
  /** Operations handed to DBOS and not finished, at most (default twice the concurrency). */
  maxQueued?: number;
  /** On stop, how long running steps get to stop at their signal (default 10 s). */
  stopGraceMs?: number;
}

export interface Engine {
  /** Given to the gateway: called after a call that recorded operations committed. */
  dispatcher: OperationDispatcher;
  /** After DBOS is launched: registers the queue and starts dispatching. */
  start(): Promise<void>;
  /** Stops dispatching and every running step (left pending, resumed later): see halt.ts. */
  stop(): Promise<void>;
  /** Hands pending operations to DBOS, oldest first, up to the queue bound. */
  sweep(): Promise<number>;
  /** Resolves when the operation's workflow ends (tests, the demo). */
  result(operationId: string): Promise<OperationOutcome | null>;
  /** Whether an execution of the operation's workflow runs in this process (engine/stranded.ts). */
  runsHere(operationId: string): boolean;
}

/**
 * The deployment engine: registers the operation workflow with DBOS (before launch) and feeds it
 * the operations the gateway records. Operations of one instance run one at a time, in arrival
 * order: each is enqueued on one DBOS queue partitioned by instance id, with partition
 * concurrency 1. Starting an operation's workflow is idempotent (workflow id = operation id), so
 * several replicas sweeping at once enqueue each operation once.
 *
 * @example
 *   const engine = createEngine(deps, { concurrency: 50, sweepIntervalMs: 5000 });
 *   await launchDurableEngine(...);
 *   await engine.start();
 */
export function createEngine(deps: EngineDeps, options: EngineOptions): Engine {
  const halt = createHalt();
  // Before DBOS launches: whatever this executor claims from now on, this process claimed.
  const bornAt = deps.clock.now();
  // Executions in this process, by operation id (several while a stale one winds down).
  const here = new Map<string, number>();
  // A finished operation frees a place on the queue: look for the next ones at once.
  // The traceparent is part of the workflow's input (stored by DBOS): a resumed or forked
  // workflow continues the trace of the call that recorded the operation.
  const workflow = DBOS.registerWorkflow(
    (opId: string, traceParent?: string | null) => {
      here.set(opId, (here.get(opId) ?? 0) + 1);
      return runOperation({ ...deps, halt }, opId, dbosCheckpoint, traceParent).finally(() => {
        const n = (here.get(opId) ?? 1) - 1;
        if (n > 0) here.set(opId, n);
        else here.delete(opId);
        if (running) void sweep();
      });
    },
    { name: OPERATION_WORKFLOW },
  );
  const probe = DBOS.registerWorkflow(async () => true, { name: 'kgd.queue-probe' });

  let stopLoop: AbortController | undefined;
  let loop: Promise<void> | undefined;
  let running = false;

  const enqueue = async (op: {
    id: string;
    instance_id: string | null;
    order_id: string | null;
    trace_parent: string | null;
  }) => {
    await DBOS.startWorkflow(workflow, {
      workflowID: op.id,
      queueName: OPERATIONS_QUEUE,
      enqueueOptions: { queuePartitionKey: partitionKeyOf(op) },
    })(op.id, op.trace_parent);
    await deps.db
      .updateTable('operations')
      .set({ enqueued_at: deps.clock.now(), workflow_id: op.id })
      .where('id', '=', op.id)
      .where('enqueued_at', 'is', null)
      .execute();
  };

  const maxQueued = options.maxQueued ?? options.concurrency * 2;

  /**
   * Hands pending operations to DBOS in arrival order, but only as many as can run soon: the
   * operations table is the durable queue, and a burst of notifications never piles thousands of
   * workflows onto DBOS's queue (whose dispatch cost grows with it).
   */
  const sweepNow = async () => {
    const inFlight = await deps.db
      .selectFrom('operations')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('status', 'in', ['pending', 'running'])
      .where('enqueued_at', 'is not', null)
      .executeTakeFirstOrThrow();
    const slots = maxQueued - Number(inFlight.n);
    if (slots <= 0) return 0;
    const rows = await deps.db
      .selectFrom('operations')
      .select(['id', 'instance_id', 'order_id', 'trace_parent'])
      .where('status', '=', 'pending')
      .where('enqueued_at', 'is', null)
      .orderBy('seq')
      .limit(slots)
      .execute();
    for (const row of rows) await enqueue(row);
    return rows.length;
  };

  // One sweep at a time per process (each instance's operations go to DBOS in arrival order);
  // wakes arriving meanwhile fold into one more pass.
  let sweeping: Promise<number> | null = null;
  let again = false;
  const sweep = (): Promise<number> => {
    if (sweeping) {
      again = true;
      return sweeping;
    }
    sweeping = (async () => {
      let total = 0;
      do {
        again = false;
        total += await sweepNow();
      } while (again && running);
      return total;
    })()
      .catch((err: Error) => {
        deps.logger.error({ err: err.message }, 'dispatching operations failed');
        return 0;
      })
      .finally(() => {
        sweeping = null;
      });
    return sweeping;
  };

  return {
    dispatcher: {
      wake() {
        if (running) void sweep();
      },
    },
    async start() {
      await DBOS.registerQueue(OPERATIONS_QUEUE, {
        globalConcurrency: options.concurrency,
        ...(options.workerConcurrency ? { workerConcurrency: options.workerConcurrency } : {}),
        partitionConcurrency: 1,
        minPollingIntervalMs: options.queuePollMs ?? 200,
        onConflict: 'always_update',
      });
      // DBOS discovers a queue registered after launch at its next reconcile (up to a second):
      // the engine is ready once a probe went through the queue, so /readyz means "dispatching".
      // The probe needs a free slot of the global concurrency: a replica restarted with the queue
      // full (its own recovered workflows among them) is dispatching once it claimed any.
      const handle = await DBOS.startWorkflow(probe, {
        workflowID: `kgd-queue-probe-${deps.ids.uuid()}`,
        queueName: OPERATIONS_QUEUE,
        enqueueOptions: { queuePartitionKey: 'kgd-queue-probe' },
      })();
      const claimed = new AbortController();
      await Promise.race([
        handle.getResult(),
        pollUntil(
          'a workflow claimed from the queue',
          { clock: deps.clock, timeoutMs: Number.POSITIVE_INFINITY, signal: claimed.signal },
          async () =>
            (
              await DBOS.listWorkflows({
                queueName: OPERATIONS_QUEUE,
                executorId: DBOS.executorID,
                dequeuedAfter: bornAt.toISOString(),
                loadInput: false,
                loadOutput: false,
                limit: 1,
              })
            ).length > 0 || undefined,
          // Stopped, or the database failing: the probe decides.
        ).catch(() => new Promise<never>(() => {})),
      ]).finally(() => claimed.abort());
      running = true;
      await sweep();

      stopLoop = new AbortController();
      loop = runEvery(deps.clock, options.sweepIntervalMs, sweep, { signal: stopLoop.signal });
    },
    async stop() {
      running = false;
      stopLoop?.abort();
      await loop;
      await sweeping;
      const left = await halt.stop(options.stopGraceMs ?? 10_000);
      if (left > 0)
        deps.logger.warn(
          { steps: left },
          'steps still running after the grace period: abandoned unrecorded, they run again when their workflows resume',
        );
    },
    sweep,
    runsHere: (operationId) => here.has(operationId),
    async result(operationId) {
      return DBOS.retrieveWorkflow<OperationOutcome>(operationId).getResult();
    },
  };
}
