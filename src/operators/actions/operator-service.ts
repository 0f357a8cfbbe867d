import type { CloudApi } from '../../cloud/cloud-api.js';
import type { OperatorActions } from '../../deployments/operator-actions.js';
import type { Overrides } from '../../deployments/plan.js';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/database.js';
import type { Operation } from '../../platform/db/schema.js';
import { InputError, Unavailable } from '../errors.js';
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
  /** The engine's actions (rerun, cancel, retry cleanup, release). */
  engine: OperatorActions;
  /** Replays inbox entries through the gateway; absent, replay is unavailable. */
  replay?: ReplayDeps | undefined;
  /** The cloud, for the sweep; absent, the sweep is unavailable. */
  cloud?: CloudApi | undefined;
  /** Pauses between cloud polls (sweep deletions). */
  sleep?: (ms: number) => Promise<void>;
  onSweepProgress?: (message: string) => void;
  /** Wakes the engine for an instance with a new operation (in the service; the CLI's is swept). */
  wake?: ((instanceId: string) => void) | undefined;
}

export type { Who };

export interface RerunInput extends Who {
  from?: string | undefined;
  overrides?: Overrides | undefined;
}

function checkOverrides(o: Overrides | undefined): Overrides | undefined {
  if (!o) return undefined;
  const out: Overrides = {};
  const name = /^[A-Za-z0-9._-]{1,64}$/;
  for (const key of ['flavor', 'az', 'imageId', 'templateVersion'] as const) {
    const v = o[key];
    if (v === undefined || v === '') continue;
    if (typeof v !== 'string' || !name.test(v))
      throw new InputError(`${key}: expected 1-64 letters, digits, . _ -`);
    out[key] = v;
  }
  if (o.sshPort !== undefined) {
    const p = Number(o.sshPort);
    if (!Number.isInteger(p) || p < 1 || p > 65535)
      throw new InputError('sshPort: expected a port between 1 and 65535');
    out.sshPort = p;
  }
  return Object.keys(out).length ? out : undefined;
}

const rerunnable = (op: Operation) => ['failed', 'cancelled', 'cleanup_failed'].includes(op.status);
const open = (op: Operation) => op.status === 'pending' || op.status === 'running';
const cleanupFailed = (op: Operation) =>
  op.status === 'cleanup_failed' || (op.kind === 'release' && op.status === 'failed');

/**
 * What operators change, for the CLI, the admin API and the dashboard alike: each action
 * resolves the id typed (instance or operation), checks the reason, acts, and writes one audit
 * entry (who, what, why, when, state before and after) whether it succeeded, was refused or failed.
 *
 * @example
 *   const ops = createOperatorService({ db, clock, engine: createOperatorActions(...) });
 *   await ops.rerun('kgi-01...', { from: 'create-server', overrides: { flavor: 's6.large.2' },
 *     reason: 'sold out', actor: 'cli:root' });
 */
export function createOperatorService(deps: OperatorServiceDeps) {
  const { db, clock } = deps;

  const audited = createAuditor({ db, clock });

  return {
    /** Reruns the failed (or chosen) operation from its failed step, or from `from`, with edits. */
    async rerun(id: string, input: RerunInput) {
      const overrides = checkOverrides(input.overrides);
      return audited('deployment.rerun', input, id, async () => {
        const op = await pickOperation(db, id, rerunnable);
        return deps.engine.rerun(op.id, {
          ...(input.from ? { from: input.from } : {}),
          ...(overrides ? { overrides } : {}),
          reason: input.reason.trim(),
          actor: input.actor,
        });
      });
    },

    async cancel(id: string, who: Who) {
      return audited('deployment.cancel', who, id, async () => {
        const op = await pickOperation(db, id, open);
        return deps.engine.cancel(op.id, { reason: who.reason.trim(), actor: who.actor });
      });
    },

    async retryCleanup(id: string, who: Who) {
      return audited('deployment.retry-cleanup', who, id, async () => {
        const op = await pickOperation(db, id, cleanupFailed);
        return deps.engine.retryCleanup(op.id, { reason: who.reason.trim(), actor: who.actor });
      });
    },

    /** Manual teardown of the deployment (as if the marketplace released it). */
    async release(id: string, who: Who) {
      return audited('deployment.release', who, id, async () => {
        const found = await resolveDeployment(db, id);
        if (!found.instance) throw new InputError(`operation ${id} belongs to no deployment`);
        const instanceId = found.instance.id;
        const r = await deps.engine.release(instanceId, {
          reason: who.reason.trim(),
          actor: who.actor,
        });
        deps.wake?.(instanceId);
        return { ...r, instanceId };
      });
    },

    /** Replays a recorded marketplace call through the gateway (re-signed, fresh nonce). */
    async replayInbox(inboxId: string, who: Who): Promise<ReplayResult> {
      return audited(
        'inbox.replay',
        who,
        `inbox:${inboxId}`,
        async () => {
          if (!deps.replay) throw new Unavailable('replay needs the gateway: not available here');
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
      if (!deps.cloud) throw new Unavailable('the sweep needs a cloud: none configured here');
      return scanSweep({ db, cloud: deps.cloud });
    },

    /**
     * Deletes the sweep candidates (all, or those of `instanceIds`), re-scanned now so nothing
     * that became live meanwhile is touched. One audit entry per candidate.
     */
    async sweepDelete(who: Who & { instanceIds?: string[] | undefined }): Promise<SweepDeletion[]> {
      checkReason(who.reason);
      const cloud = deps.cloud;
      if (!cloud) throw new Unavailable('the sweep needs a cloud: none configured here');
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
                  sleep: deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
                  ...(deps.onSweepProgress ? { onProgress: deps.onSweepProgress } : {}),
                },
                c,
              ),
            {
              before: async () => ({ ...c }),
              after: async (n) => ({ deleted: n }),
            },
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
