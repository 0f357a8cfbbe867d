import type { CloudApi } from '../../cloud/cloud-api.js';
import { cancel, rerun, retryCleanup } from '../../deployments/commands/operator-commands.js';
import { requestRelease } from '../../deployments/commands/request-release.js';
import type { WorkflowControl } from '../../deployments/engine/workflow-control.js';
import type { InstanceSecrets } from '../../deployments/model/instance-secrets.js';
import { RerunRequest, withoutBlanks } from '../../deployments/model/overrides.js';
import { isOpen, needsCleanup, rerunnableOperation } from '../../deployments/model/states.js';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/database.js';
import type { Operation } from '../../platform/db/schema.js';
import { ActionError } from '../../platform/errors.js';
import type { Ids } from '../../platform/ids.js';
import type { ReplayResult, SweepCandidate, SweepDeletion } from '../model.js';
import { pickOperation, resolveDeployment } from '../queries/deployments.js';
import { loadInboxRow } from '../queries/inbox.js';
import { scanSweep } from '../queries/sweep.js';
import { checkReason, createAuditor, type Who } from './audited.js';
import { type ReplayDeps, replayInboxEntry } from './replay.js';
import { deleteCandidate } from './sweep-delete.js';

export interface OperatorServiceDeps {
  db: Db;
  clock: Clock;
  ids: Ids;
  secrets: InstanceSecrets;
  /** DBOS workflow state: a rerun rewinds the operation's workflow. */
  workflows: Pick<WorkflowControl, 'listSteps' | 'rewind'>;
  /** Replays inbox entries through the gateway; absent, replay is unavailable. */
  replay?: ReplayDeps | undefined;
  /** The cloud, for the sweep; absent, the sweep is unavailable. */
  cloud?: CloudApi | undefined;
  onSweepProgress?: (message: string) => void;
  /** Wakes the engine for an instance with a new operation (in the service; the CLI's is swept). */
  wake?: ((instanceId: string | null) => void) | undefined;
}

export type { Who };

/** A rerun as the surfaces pass it: raw values (CLI flags, form fields, a JSON body). */
export interface RerunInput extends Who {
  from?: string | undefined;
  overrides?: Record<string, unknown> | undefined;
}

/** Parses a rerun through the one `RerunRequest` schema; a bad field is named. */
function parseRerun(input: RerunInput) {
  const parsed = RerunRequest.safeParse(
    withoutBlanks({ ...input.overrides, reason: input.reason, from: input.from }),
  );
  if (!parsed.success) {
    const message = parsed.error.issues
      .map((i) => `${i.path.map(String).join('.') || 'body'}: ${i.message}`)
      .join('; ');
    throw new ActionError('INVALID_REQUEST', message);
  }
  const { reason, from, ...overrides } = parsed.data;
  return { reason, from, overrides: Object.keys(overrides).length ? overrides : undefined };
}

const rerunnable = (op: Operation) => rerunnableOperation.includes(op.status);
const open = (op: Operation) => isOpen(op.status);

/**
 * What operators change, for the CLI, the admin API and the dashboard alike: each action
 * resolves the id typed (instance or operation), checks the reason, calls the deployments
 * command, and writes one audit entry (who, what, why, when, state before and after) whether it
 * succeeded, was refused or failed.
 *
 * @example
 *   const ops = createOperatorService({ db, clock, ids, secrets, workflows });
 *   await ops.rerun('kgi-01...', { from: 'create-server', overrides: { flavor: 's6.large.2' },
 *     reason: 'sold out', actor: 'cli:root' });
 */
export function createOperatorService(deps: OperatorServiceDeps) {
  const { db, clock } = deps;
  const audited = createAuditor({ db, clock });

  return {
    /** Reruns the failed (or chosen) operation from its failed step, or from `from`, with edits. */
    async rerun(id: string, input: RerunInput) {
      const request = parseRerun(input);
      return audited('deployment.rerun', input, id, async () => {
        const op = await pickOperation(db, id, rerunnable);
        const r = await rerun(
          { operationId: op.id, ...request, actor: input.actor },
          { db, now: clock.now(), workflows: deps.workflows },
        );
        deps.wake?.(op.instance_id);
        return r;
      });
    },

    async cancel(id: string, who: Who) {
      return audited('deployment.cancel', who, id, async () => {
        const op = await pickOperation(db, id, open);
        return cancel(
          { operationId: op.id, reason: who.reason.trim(), actor: who.actor },
          { db, now: clock.now() },
        );
      });
    },

    async retryCleanup(id: string, who: Who) {
      return audited('deployment.retry-cleanup', who, id, async () => {
        const op = await pickOperation(db, id, needsCleanup);
        const r = await retryCleanup(
          { operationId: op.id, reason: who.reason.trim(), actor: who.actor },
          { db, now: clock.now(), workflows: deps.workflows },
        );
        deps.wake?.(op.instance_id);
        return r;
      });
    },

    /** Manual teardown of the deployment: the same release the marketplace's call records. */
    async release(id: string, who: Who) {
      return audited('deployment.release', who, id, async () => {
        const found = await resolveDeployment(db, id);
        if (!found.instance)
          throw new ActionError('INVALID_REQUEST', `operation ${id} belongs to no deployment`);
        const instanceId = found.instance.id;
        const r = await db
          .transaction()
          .execute((tx) =>
            requestRelease(
              tx,
              { instanceId, by: 'operator', actor: who.actor, reason: who.reason.trim() },
              { now: clock.now(), ids: deps.ids, secrets: deps.secrets },
            ),
          );
        if (r.kind === 'unknown') throw new ActionError('NOT_FOUND', `no instance ${instanceId}`);
        if (r.kind === 'duplicate')
          throw new ActionError(
            'CONFLICT',
            r.status === 'released'
              ? `instance ${instanceId} is already released`
              : `instance ${instanceId} already has a release: rerun it with kgd deployments rerun`,
          );
        deps.wake?.(instanceId);
        return { operationId: r.operationId, instanceId };
      });
    },

    /** Replays a recorded marketplace call through the gateway (re-signed, fresh nonce). */
    async replayInbox(inboxId: string, who: Who): Promise<ReplayResult> {
      return audited(
        'inbox.replay',
        who,
        `inbox:${inboxId}`,
        async () => {
          if (!deps.replay)
            throw new ActionError('UNAVAILABLE', 'replay needs the gateway: not available here');
          return replayInboxEntry(deps.replay, await loadInboxRow(db, inboxId), clock.now());
        },
        {
          before: async () => null,
          after: async (r) => ({ stored: r.stored.resultCode, replayed: r.replayed.resultCode }),
        },
      );
    },

    /** What the sweep would delete now. */
    async sweepScan(): Promise<SweepCandidate[]> {
      if (!deps.cloud)
        throw new ActionError('UNAVAILABLE', 'the sweep needs a cloud: none configured here');
      return scanSweep({ db, cloud: deps.cloud });
    },

    /**
     * Deletes the sweep candidates (all, or those of `instanceIds`), re-scanned now so nothing
     * that became live meanwhile is touched. One audit entry per candidate.
     */
    async sweepDelete(who: Who & { instanceIds?: string[] | undefined }): Promise<SweepDeletion[]> {
      checkReason(who.reason);
      const cloud = deps.cloud;
      if (!cloud)
        throw new ActionError('UNAVAILABLE', 'the sweep needs a cloud: none configured here');
      const wanted = who.instanceIds?.length ? new Set(who.instanceIds) : undefined;
      const candidates = (await scanSweep({ db, cloud })).filter(
        (c) => !wanted || wanted.has(c.instanceId),
      );
      const out: SweepDeletion[] = [];
      for (const c of candidates) {
        try {
          const deleted = await audited(
            'sweep.delete',
            who,
            c.instanceId || '(untagged)',
            () =>
              deleteCandidate(
                {
                  cloud,
                  clock,
                  ...(deps.onSweepProgress ? { onProgress: deps.onSweepProgress } : {}),
                },
                c,
              ),
            { before: async () => ({ ...c }), after: async (n) => ({ deleted: n }) },
          );
          out.push({ instanceId: c.instanceId, deleted, error: null });
        } catch (err) {
          out.push({ instanceId: c.instanceId, deleted: 0, error: (err as Error).message });
        }
      }
      return out;
    },
  };
}

export type OperatorService = ReturnType<typeof createOperatorService>;
