import { DBOS } from '@dbos-inc/dbos-sdk';
import { sql } from 'kysely';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/database.js';
import type { Logger } from '../../platform/logger.js';
import { runEvery } from '../../platform/periodic.js';
import type { Lease } from './lease.js';
import { OPERATIONS_QUEUE } from './queue.js';
import type { StrandedRecovery } from './stranded.js';

/**
 * What DBOS does not do self-hosted: when a replica dies, its PENDING workflows stay assigned to
 * it until it comes back. Every replica renews its lease (lease.ts) each round; one of them —
 * whoever holds a PostgreSQL advisory lock — looks for replicas whose lease expired by a margin,
 * revokes their epoch (so nothing they still try to write lands), and only then re-enqueues
 * their unfinished workflows, which any live replica resumes from their last completed step.
 * Every replica also puts back on the queue its own PENDING workflows that nothing runs any more
 * (a write lost in a database outage: engine/stranded.ts).
 */
export interface ReaperOptions {
  db: Db;
  lease: Lease;
  logger: Logger;
  clock: Clock;
  heartbeatMs: number;
  /** The lease: a replica that has not renewed for this long has lost it. */
  leaseMs: number;
  /** Then this much longer before its work is taken over (its own steps stopped meanwhile). */
  marginMs: number;
  /** Re-enqueues workflows (DBOS.resumeWorkflows by default). */
  resume?: (workflowIds: string[]) => Promise<void>;
  /** PENDING workflows of an executor (DBOS.listWorkflows by default). */
  pendingOf?: (executorId: string) => Promise<string[]>;
  /** This replica's own workflows that nothing runs any more, queued again each round. */
  stranded?: StrandedRecovery;
}

export interface Reaper {
  start(): Promise<void>;
  /** One round: renew the lease, and lead if possible (tests call it directly). Returns the executors reaped. */
  tick(): Promise<string[]>;
  isLeader(): boolean;
  stop(): Promise<void>;
}

const LOCK_KEY = 0x6b6764; // "kgd"

export function createReaper(options: ReaperOptions): Reaper {
  const { db, clock, logger, lease } = options;
  const resume =
    options.resume ??
    (async (ids) => void (await DBOS.resumeWorkflows(ids, { queueName: OPERATIONS_QUEUE })));
  const pendingOf =
    options.pendingOf ??
    (async (executorId) =>
      (
        await DBOS.listWorkflows({
          status: 'PENDING',
          executorId,
          loadInput: false,
          loadOutput: false,
        })
      ).map((w) => w.workflowID));
  let leader = false;
  let stopLoop: AbortController | undefined;
  let loop: Promise<void> | undefined;
  const expiredBefore = sql<Date>`now() - make_interval(secs => ${(options.leaseMs + options.marginMs) / 1000})`;

  /**
   * One leader round, in one transaction: whoever takes the advisory lock (transaction-scoped, so
   * a leader paused mid-round loses it when PostgreSQL ends its idle transaction) revokes the epoch
   * of each executor whose lease expired by the margin — locking its row, so a fenced write of
   * that epoch either committed before or finds it revoked — then hands over what revoked
   * executors still hold. Every round, so a handover a crash cut short, or a workflow a revived
   * replica claimed before it noticed its revocation, is not stranded.
   */
  const lead = () =>
    db.transaction().execute(async (tx) => {
      const { rows } = await sql<{
        ok: boolean;
      }>`SELECT pg_try_advisory_xact_lock(${LOCK_KEY}) AS ok`.execute(tx);
      const wasLeader = leader;
      leader = rows[0]?.ok === true;
      if (!leader) return [];
      if (!wasLeader) logger.info({ executorId: lease.executorId }, 'reaper: this replica leads');
      // A row locked by a replica paused inside its transaction: wait no longer than a round.
      await sql`SET LOCAL lock_timeout = ${sql.lit(`${Math.max(100, options.heartbeatMs)}ms`)}`.execute(
        tx,
      );
      const expired = await tx
        .selectFrom('executors')
        .select(['id', 'epoch', 'heartbeat_at'])
        .where('id', '!=', lease.executorId)
        .where('reaped_at', 'is', null)
        .where('heartbeat_at', '<', expiredBefore)
        .forUpdate()
        .execute();
      for (const row of expired) {
        await tx
          .updateTable('executors')
          .set({ reaped_at: sql<Date>`now()` })
          .where('id', '=', row.id)
          .execute();
        logger.warn(
          { executorId: row.id, epoch: row.epoch, lastHeartbeat: row.heartbeat_at },
          'reaper: replica lost its lease; its epoch is revoked and its unfinished operations handed over',
        );
      }
      return expired.map((r) => r.id);
    });

  const handOver = async () => {
    const revoked = await db
      .selectFrom('executors')
      .select('id')
      .where('id', '!=', lease.executorId)
      .where('reaped_at', 'is not', null)
      .execute();
    for (const { id } of revoked) {
      const ids = await pendingOf(id);
      if (ids.length === 0) continue;
      await resume(ids);
      logger.warn({ executorId: id, workflows: ids.length }, 'reaper: operations handed over');
    }
  };

  const tick = async () => {
    await lease.renew();
    // Renewed: the database answers, and nobody took this replica's work over.
    await options.stranded?.round();
    // Just back from a lapse (a database outage seen by every replica): the others get the time
    // to renew before anyone is judged dead. A fresh start leads at once (alert conditions and
    // handovers must not wait a lease and a margin after every start).
    if (lease.hasLapsed() && lease.heldForMs() < options.leaseMs + options.marginMs) return [];
    const reaped = await lead();
    if (leader) await handOver();
    return reaped;
  };

  return {
    isLeader: () => leader,
    tick,
    async start() {
      stopLoop = new AbortController();
      loop = runEvery(clock, options.heartbeatMs, tick, {
        signal: stopLoop.signal,
        onError: (err) => {
          leader = false;
          logger.warn({ err: (err as Error).message }, 'reaper round failed');
        },
      });
    },
    async stop() {
      stopLoop?.abort();
      await loop;
      await lease.release().catch(() => {});
      leader = false;
    },
  };
}
