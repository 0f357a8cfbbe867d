import { DBOS } from '@dbos-inc/dbos-sdk';
import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { Logger } from '../../platform/logger.js';
import { OPERATION_WORKFLOW } from './queue.js';

/**
 * A workflow of this replica that nothing runs any more. DBOS retries its own writes through a
 * database outage, but not every error of one: a checkpoint or outcome write that fails with an
 * error it does not take for a lost connection (a database refusing connections, 55000) ends the
 * execution with the workflow still PENDING under this executor, and a queue claim whose commit
 * reply was lost leaves one PENDING that was never started. DBOS recovers its own PENDING
 * workflows only at launch, and the reaper takes over only dead replicas', so these would wait
 * for a restart.
 *
 * Each round lists this replica's PENDING operation workflows that no execution in this process
 * runs (the engine knows its own), and puts back on the queue those seen so in the previous round
 * too, unchanged since (a claim being dispatched at that moment shows up in one round at most),
 * with a conditional write that loses to any change since (another claim, a handover, an end).
 * DBOS resumes each from its last completed step; steps are idempotent, so a step cut short
 * runs again.
 *
 * @example
 *   const stranded = createStrandedRecovery({
 *     executorId, runsHere: engine.runsHere, logger,
 *     pending: dbosPendingOperations(executorId), requeue: requeueIfUnchanged(db, executorId),
 *   });
 *   await stranded.round(); // in every reaper round, after the lease was renewed
 */
export interface StrandedWorkflow {
  id: string;
  /** `updated_at` of its status row (ms): a claim, a resume or an end changes it. */
  updatedAt: number;
}

export interface StrandedRecoveryOptions {
  executorId: string;
  /** Whether an execution of the workflow runs in this process. */
  runsHere: (workflowId: string) => boolean;
  logger: Logger;
  /** PENDING operation workflows of this executor (`dbosPendingOperations`). */
  pending: () => Promise<StrandedWorkflow[]>;
  /** Puts one back on its queue if its row is still as seen; true if it was (`requeueIfUnchanged`). */
  requeue: (w: StrandedWorkflow) => Promise<boolean>;
}

export interface StrandedRecovery {
  /** One round: returns the workflows put back on the queue. */
  round(): Promise<string[]>;
}

/** This executor's PENDING operation workflows, as DBOS lists them. */
export const dbosPendingOperations = (executorId: string) => async () =>
  (
    await DBOS.listWorkflows({
      status: 'PENDING',
      executorId,
      workflowName: OPERATION_WORKFLOW,
      loadInput: false,
      loadOutput: false,
    })
  ).map((w) => ({ id: w.workflowID, updatedAt: w.updatedAt ?? w.createdAt }));

/**
 * The write DBOS's recovery at launch makes (reenqueueWorkflowsForRecovery), for one workflow,
 * and only while its row is as this replica saw it stranded.
 */
export const requeueIfUnchanged =
  (db: Db, executorId: string) =>
  async (w: StrandedWorkflow): Promise<boolean> => {
    const r = await sql`
      UPDATE dbos.workflow_status
         SET status = 'ENQUEUED', owner_xid = NULL, started_at_epoch_ms = NULL,
             updated_at = (EXTRACT(EPOCH FROM now()) * 1000)::bigint
       WHERE workflow_uuid = ${w.id} AND status = 'PENDING'
         AND executor_id = ${executorId} AND updated_at = ${w.updatedAt}`.execute(db);
    return Number(r.numAffectedRows ?? 0) === 1;
  };

export function createStrandedRecovery(options: StrandedRecoveryOptions): StrandedRecovery {
  const { executorId, logger, pending, requeue } = options;
  let suspects = new Map<string, number>();
  return {
    async round() {
      const stranded = (await pending()).filter((w) => !options.runsHere(w.id));
      const requeued: string[] = [];
      for (const w of stranded) {
        if (suspects.get(w.id) !== w.updatedAt) continue;
        if (await requeue(w)) requeued.push(w.id);
      }
      suspects = new Map(
        stranded.filter((w) => !requeued.includes(w.id)).map((w) => [w.id, w.updatedAt]),
      );
      if (requeued.length > 0)
        logger.warn(
          { executorId, workflows: requeued },
          'reaper: operations of this replica that nothing ran any more are queued again',
        );
      return requeued;
    },
  };
}
