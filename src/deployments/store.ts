import type { Transaction } from 'kysely';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/database.js';
import type { Database } from '../platform/db/schema.js';
import type { Ids } from '../platform/ids.js';
import type { CommandContext } from './commands/context.js';
import { type RenewScene, recordRenewal } from './commands/record-renewal.js';
import { recordUpgrade } from './commands/record-upgrade.js';
import { requestRelease } from './commands/request-release.js';
import type { Lease } from './engine/lease.js';
import type { InstanceSecrets } from './model/instance-secrets.js';
import { deployableInstance, instanceStatusAfterFailure, isTerminal } from './model/states.js';
import type { DeploymentStore, OperationOutcome, OperationSnapshot } from './ports.js';

const orderLevel = (instanceId: string) => instanceId.startsWith('order:');

/**
 * The engine's `DeploymentStore` over Kysely. Reaching `ready` (or `released`, `frozen`) and the
 * operation's `succeeded` commit in one transaction, so no reader sees one without the other.
 */
export function createDeploymentStore(deps: {
  db: Db;
  clock: Clock;
  ids: Ids;
  secrets: InstanceSecrets;
  /**
   * The replica's lease: every write runs in a transaction that first proves this process still
   * holds it (engine/lease.ts), so a replica whose work was taken over writes nothing more.
   */
  lease?: Pick<Lease, 'fence'>;
}): DeploymentStore {
  const { clock } = deps;
  const fence = deps.lease?.fence ?? (async () => {});
  /** Runs `fn` in a transaction behind the lease's fence. */
  const fenced = <T>(fn: (tx: Transaction<Database>) => Promise<T>) =>
    deps.db.transaction().execute(async (tx) => {
      await fence(tx);
      return fn(tx);
    });
  const db = deps.db;
  return {
    instance: (id) =>
      db.selectFrom('instances').selectAll().where('id', '=', id).executeTakeFirst(),

    async updateInstance(id, patch) {
      await fenced((tx) => tx.updateTable('instances').set(patch).where('id', '=', id).execute());
    },

    async pinHostKey(id, hostKey) {
      const r = await fenced((tx) =>
        tx
          .updateTable('instances')
          .set({ host_key: hostKey })
          .where('id', '=', id)
          .where('host_key', 'is', null)
          .executeTakeFirst(),
      );
      return Number(r.numUpdatedRows) > 0;
    },

    async setRootPasswordOnce(id, sealed) {
      await fenced((tx) =>
        tx
          .updateTable('instances')
          .set({ root_password_sealed: sealed })
          .where('id', '=', id)
          .where('root_password_sealed', 'is', null)
          .execute(),
      );
    },

    async beginOperation(id) {
      return fenced(async (tx) => {
        const op = await tx
          .selectFrom('operations')
          .selectAll()
          .where('id', '=', id)
          .forUpdate()
          .executeTakeFirst();
        if (!op || isTerminal(op.status)) return null;
        const now = clock.now();
        await tx
          .updateTable('operations')
          .set((eb) => ({
            status: 'running',
            started_at: op.started_at ?? now,
            attempts: eb('attempts', '+', 1),
          }))
          .where('id', '=', id)
          .execute();
        if (op.kind === 'deploy' && op.instance_id) {
          await tx
            .updateTable('instances')
            .set({ status: 'deploying', updated_at: now })
            .where('id', '=', op.instance_id)
            .where('status', 'in', deployableInstance)
            .execute();
        }
        return {
          id: op.id,
          kind: op.kind,
          instanceId: op.instance_id ?? `order:${op.order_id}`,
          orderId: op.order_id,
          orderLineId: op.order_line_id,
          params: op.params,
          test: op.test,
          attempt: op.attempts + 1,
        } satisfies OperationSnapshot;
      });
    },

    async finishOperation(op: OperationSnapshot, outcome: OperationOutcome, instance) {
      const now = clock.now();
      await fenced(async (tx) => {
        await tx
          .updateTable('operations')
          .set({
            status: outcome.status,
            finished_at: now,
            failed_step: outcome.failedStep ?? null,
            error: outcome.detail ? JSON.stringify(outcome.detail) : null,
          })
          .where('id', '=', op.id)
          .execute();
        if (orderLevel(op.instanceId)) return;
        if (outcome.status === 'succeeded') {
          if (instance) {
            await tx
              .updateTable('instances')
              .set({ ...instance, updated_at: now })
              .where('id', '=', op.instanceId)
              // A release recorded meanwhile owns the instance's status; only its own flow ends it.
              .$if(op.kind !== 'release', (q) =>
                q.where('status', 'not in', ['releasing', 'released']),
              )
              .execute();
          }
          return;
        }
        const status = instanceStatusAfterFailure(op.kind, outcome.status);
        await tx
          .updateTable('instances')
          .set(
            status
              ? { status, status_detail: outcome.error ?? null, updated_at: now }
              : {
                  status_detail: `${op.kind} ${outcome.status}: ${outcome.error}`,
                  updated_at: now,
                },
          )
          .where('id', '=', op.instanceId)
          .$if(op.kind !== 'release', (q) => q.where('status', 'not in', ['releasing', 'released']))
          .execute();
      });
    },

    async cancelRequested(operationId) {
      const row = await db
        .selectFrom('operations')
        .select('cancel_requested_at')
        .where('id', '=', operationId)
        .executeTakeFirst();
      return !!row?.cancel_requested_at;
    },

    /** An order change's operation, recorded through the same commands as the marketplace's calls. */
    async operationInputs(operationId) {
      const row = await db
        .selectFrom('operations')
        .select(['overrides', 'reruns'])
        .where('id', '=', operationId)
        .executeTakeFirst();
      return { overrides: row?.overrides ?? {}, reruns: row?.reruns ?? 0 };
    },

    async recordFollowUp(op, next) {
      if (!op.orderId) return null;
      const orderId = op.orderId;
      return fenced(async (tx) => {
        const ctx: CommandContext = { now: clock.now(), ids: deps.ids, secrets: deps.secrets };
        const p = next.params;
        const r =
          next.kind === 'release'
            ? await requestRelease(
                tx,
                {
                  instanceId: op.instanceId,
                  by: 'order-change',
                  orderId,
                  orderLineId: op.orderLineId,
                },
                ctx,
              )
            : next.kind === 'renew'
              ? await recordRenewal(
                  tx,
                  {
                    instanceId: op.instanceId,
                    orderId,
                    orderLineId: op.orderLineId,
                    scene: p.scene as RenewScene,
                    productId: null,
                    expireTime: p.expireTime ? new Date(p.expireTime as string) : null,
                    periodType: null,
                    periodNumber: null,
                    orderAmount: null,
                    test: op.test,
                  },
                  ctx,
                )
              : await recordUpgrade(
                  tx,
                  {
                    instanceId: op.instanceId,
                    orderId,
                    orderLineId: op.orderLineId,
                    productId: (p.productId as string | null) ?? null,
                    skuCode: (p.skuCode as string | null) ?? null,
                    linear: {},
                    extendParams: [],
                    test: op.test,
                  },
                  ctx,
                );
        return r.kind === 'recorded' ? r.operationId : null;
      });
    },
  };
}
