import { DBOS } from '@dbos-inc/dbos-sdk';
import { sql } from 'kysely';
import pg from 'pg';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/database.js';
import type { Logger } from '../../platform/logger.js';
import { runEvery } from '../../platform/periodic.js';
import type { Lease } from './lease.js';
import { OPERATIONS_QUEUE } from './queue.js';

/**
 * What DBOS does not do self-hosted: when a replica dies, its PENDING workflows stay assigned to
 * it until it comes back. Every replica renews its lease (lease.ts) each round; one of them —
 * whoever holds a PostgreSQL advisory lock — looks for replicas whose lease expired by a margin,
 * revokes their epoch (so nothing they still try to write lands), and only then re-enqueues
 * their unfinished workflows, which any live replica resumes from their last completed step.
 */
export interface ReaperOptions {
  db: Db;
  /** A dedicated connection holds the leader lock; the pool's would be returned and lost. */
  databaseUrl: string;
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
  let lockClient: pg.Client | undefined;
  let leader = false;
  let stopLoop: AbortController | undefined;
  let loop: Promise<void> | undefined;

  const tryLead = async () => {
    if (leader) return true;
    if (!lockClient) {
      lockClient = new pg.Client({
        connectionString: options.databaseUrl,
        application_name: 'kgd-reaper',
      });
      const client = lockClient;
      client.on('error', () => {
        leader = false;
        if (lockClient === client) lockClient = undefined;
      });
      try {
        await client.connect();
      } catch (err) {
        lockClient = undefined;
        await client.end().catch(() => {});
        throw err;
      }
    }
    const { rows } = await lockClient.query('SELECT pg_try_advisory_lock($1) AS ok', [LOCK_KEY]);
    leader = rows[0].ok === true;
    if (leader) logger.info({ executorId: lease.executorId }, 'reaper: this replica leads');
    return leader;
  };

  /**
   * Revokes the epoch of an executor whose lease expired by the margin, in one transaction that
   * locks its row: a fenced write of that epoch either committed before, or finds it revoked.
   */
  const revokeIfExpired = async (id: string) =>
    db.transaction().execute(async (tx) => {
      const row = await tx
        .selectFrom('executors')
        .select(['epoch', 'heartbeat_at'])
        .where('id', '=', id)
        .where('reaped_at', 'is', null)
        .where(
          'heartbeat_at',
          '<',
          sql<Date>`now() - make_interval(secs => ${(options.leaseMs + options.marginMs) / 1000})`,
        )
        .forUpdate()
        .executeTakeFirst();
      if (!row) return undefined;
      await tx
        .updateTable('executors')
        .set({ reaped_at: sql<Date>`now()` })
        .where('id', '=', id)
        .execute();
      return row;
    });

  const tick = async () => {
    await lease.renew();
    if (!(await tryLead())) return [];
    // Just back from a lapse (a database outage seen by every replica): the others get the time
    // to renew before anyone is judged dead.
    if (lease.heldForMs() < options.leaseMs + options.marginMs) return [];
    const candidates = await db
      .selectFrom('executors')
      .select('id')
      .where('id', '!=', lease.executorId)
      .where('reaped_at', 'is', null)
      .where(
        'heartbeat_at',
        '<',
        sql<Date>`now() - make_interval(secs => ${(options.leaseMs + options.marginMs) / 1000})`,
      )
      .execute();
    const reaped: string[] = [];
    for (const { id } of candidates) {
      const row = await revokeIfExpired(id);
      if (!row) continue;
      logger.warn(
        { executorId: id, epoch: row.epoch, lastHeartbeat: row.heartbeat_at },
        'reaper: replica lost its lease; its epoch is revoked and its unfinished operations handed over',
      );
      reaped.push(id);
    }
    // Hand over what revoked executors still hold: every round, so a handover a crash cut short,
    // or a workflow a revived replica claimed before it noticed its revocation, is not stranded.
    const revokedExecutors = await db
      .selectFrom('executors')
      .select('id')
      .where('id', '!=', lease.executorId)
      .where('reaped_at', 'is not', null)
      .execute();
    for (const { id } of revokedExecutors) {
      const ids = await pendingOf(id);
      if (ids.length === 0) continue;
      await resume(ids);
      logger.warn({ executorId: id, workflows: ids.length }, 'reaper: operations handed over');
    }
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
      await lockClient?.end().catch(() => {});
      lockClient = undefined;
      leader = false;
    },
  };
}
