import { DBOS } from '@dbos-inc/dbos-sdk';
import pg from 'pg';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/database.js';
import type { Logger } from '../../platform/logger.js';
import { runEvery } from '../../platform/periodic.js';
import { OPERATIONS_QUEUE } from './queue.js';

/**
 * What DBOS does not do self-hosted: when a replica dies, its PENDING workflows stay assigned to
 * it until it comes back. Every replica heartbeats in `executors`; one of them — whoever holds a
 * PostgreSQL advisory lock — looks for replicas whose heartbeat stopped and re-enqueues their
 * unfinished workflows, which any live replica then resumes from their last completed step.
 * Steps are idempotent against the outside world, so a replica that was only slow and comes
 * back does no harm either.
 */
export interface ReaperOptions {
  db: Db;
  /** A dedicated connection holds the leader lock; the pool's would be returned and lost. */
  databaseUrl: string;
  executorId: string;
  appVersion: string;
  clock: Clock;
  logger: Logger;
  heartbeatMs: number;
  /** A replica silent this long is dead. */
  deadAfterMs: number;
  /** Re-enqueues workflows (DBOS.resumeWorkflows by default). */
  resume?: (workflowIds: string[]) => Promise<void>;
  /** PENDING workflows of an executor (DBOS.listWorkflows by default). */
  pendingOf?: (executorId: string) => Promise<string[]>;
}

export interface Reaper {
  start(): Promise<void>;
  /** One leader round (tests call it directly). Returns the executors reaped. */
  tick(): Promise<string[]>;
  isLeader(): boolean;
  stop(): Promise<void>;
}

const LOCK_KEY = 0x6b6764; // "kgd"

export function createReaper(options: ReaperOptions): Reaper {
  const { db, clock, logger } = options;
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

  const heartbeat = async () => {
    const now = clock.now();
    await db
      .insertInto('executors')
      .values({
        id: options.executorId,
        app_version: options.appVersion,
        started_at: now,
        heartbeat_at: now,
        stopped_at: null,
        reaped_at: null,
      })
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({
          heartbeat_at: now,
          app_version: options.appVersion,
          stopped_at: null,
          reaped_at: null,
        }),
      )
      .execute();
  };

  const tryLead = async () => {
    if (leader) return true;
    if (!lockClient) {
      lockClient = new pg.Client({
        connectionString: options.databaseUrl,
        application_name: 'kgd-reaper',
      });
      lockClient.on('error', () => {
        leader = false;
        lockClient = undefined;
      });
      await lockClient.connect();
    }
    const { rows } = await lockClient.query('SELECT pg_try_advisory_lock($1) AS ok', [LOCK_KEY]);
    leader = rows[0].ok === true;
    if (leader) logger.info({ executorId: options.executorId }, 'reaper: this replica leads');
    return leader;
  };

  const tick = async () => {
    await heartbeat();
    if (!(await tryLead())) return [];
    const cutoff = new Date(clock.now().getTime() - options.deadAfterMs);
    const dead = await db
      .selectFrom('executors')
      .select(['id', 'heartbeat_at'])
      .where('id', '!=', options.executorId)
      .where('heartbeat_at', '<', cutoff)
      .where('reaped_at', 'is', null)
      .execute();
    const reaped: string[] = [];
    for (const executor of dead) {
      const ids = await pendingOf(executor.id);
      if (ids.length > 0) await resume(ids);
      await db
        .updateTable('executors')
        .set({ reaped_at: clock.now() })
        .where('id', '=', executor.id)
        .execute();
      logger.warn(
        { executorId: executor.id, lastHeartbeat: executor.heartbeat_at, workflows: ids.length },
        'reaper: replica stopped heartbeating; its unfinished operations were handed over',
      );
      reaped.push(executor.id);
    }
    return reaped;
  };

  return {
    isLeader: () => leader,
    tick,
    async start() {
      await heartbeat();
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
      await db
        .updateTable('executors')
        .set({ stopped_at: clock.now() })
        .where('id', '=', options.executorId)
        .execute()
        .catch(() => {});
      await lockClient?.end().catch(() => {});
      lockClient = undefined;
      leader = false;
    },
  };
}
