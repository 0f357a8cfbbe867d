import { performance } from 'node:perf_hooks';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { Database } from '../../platform/db/schema.js';
import type { Logger } from '../../platform/logger.js';

/**
 * A replica's lease on its work, and the fencing token its writes carry.
 *
 * Each process takes the lease of its executor id under a new `epoch` (acquire) and renews it in
 * its heartbeat. Every time is the database's (`now()`), so replicas' clocks never meet. Locally
 * the lease is held for `leaseMs` from the moment a renewal was *sent* (a monotonic clock: a wall
 * clock stepped back must not stretch it); the database records the renewal later than that, and
 * another replica takes over only once the recorded heartbeat is `leaseMs + marginMs` old. So a
 * replica that stops renewing — paused, partitioned, starved — lets its lease lapse at least
 * `marginMs` before anyone may take its work over.
 *
 * While the lease has lapsed, steps do not run (the step runner waits on `held()`); a renewal
 * brings it back when nobody took over. A takeover revokes the epoch (`reaped_at`) in a
 * transaction that locks the executor row: every write that matters runs `fence(tx)` in its own
 * transaction, which locks the same row (KEY SHARE, so heartbeats are not held up) and throws
 * `LeaseRevoked` once the epoch is revoked. A revoked lease never comes back to this process:
 * `onRevoked` stops it (`kgd serve` exits, for its supervisor to start it afresh).
 *
 * @example
 *   const lease = createLease({ db, executorId, appVersion, leaseMs: 30_000, logger, onRevoked });
 *   await lease.acquire();            // before DBOS recovers this replica's workflows
 *   await db.transaction().execute(async (tx) => { await lease.fence(tx); ... });
 */
export interface Lease {
  readonly executorId: string;
  /** Takes the lease under a new epoch (fencing every earlier process of this executor id). */
  acquire(): Promise<void>;
  /** Extends it; throws when the database cannot be reached (the lease runs on until it lapses). */
  renew(): Promise<void>;
  /** Held right now: renewed less than `leaseMs` ago and not revoked. */
  isHeld(): boolean;
  /** Resolves while held, or when next renewed; never once revoked. */
  held(): Promise<void>;
  /** Resolves at the first renewal after this call; never once revoked. */
  renewed(): Promise<void>;
  /** Aborts when the lease lapses or is revoked (a fresh signal after each lapse). */
  signal(): AbortSignal;
  /** How long the lease has been held without a lapse (0 when not held). */
  heldForMs(): number;
  /** Whether it ever lapsed in this process (a fresh start has not). */
  hasLapsed(): boolean;
  /** Inside a transaction: throws `LeaseRevoked` unless this process's epoch still holds it. */
  fence(tx: Transaction<Database> | Kysely<Database>): Promise<void>;
  /** Marks the executor stopped (a graceful shutdown). */
  release(): Promise<void>;
}

/** This process's lease was revoked: another replica took its work over. */
export class LeaseRevoked extends Error {
  override name = 'LeaseRevoked';
}

/** The lease lapsed (not renewed in time): steps wait until it is renewed. */
class LeaseLapsed extends Error {
  override name = 'LeaseLapsed';
}

export interface LeaseOptions {
  db: Db;
  executorId: string;
  appVersion: string;
  logger: Logger;
  leaseMs: number;
  /** Called once when the lease is found revoked. */
  onRevoked: (err: LeaseRevoked) => void;
  /** Milliseconds on a monotonic clock (tests move it). */
  monotonicMs?: () => number;
}

export function createLease(options: LeaseOptions): Lease {
  const { db, executorId, logger, leaseMs } = options;
  const mono = options.monotonicMs ?? (() => performance.now());
  let epoch: string | undefined;
  let expiresAt = Number.NEGATIVE_INFINITY;
  let heldSince = Number.POSITIVE_INFINITY;
  let revoked: LeaseRevoked | undefined;
  let lapse = new AbortController();
  let lapseTimer: NodeJS.Timeout | undefined;
  let waiters: Array<() => void> = [];

  const isHeld = () => !revoked && mono() < expiresAt;

  let lapsedOnce = false;
  const markLapsed = () => {
    if (!lapse.signal.aborted) {
      lapsedOnce = true;
      lapse.abort(revoked ?? new LeaseLapsed(`lease of ${executorId} lapsed: steps wait`));
      if (!revoked)
        logger.warn(
          { executorId },
          'lease lapsed (not renewed in time): steps paused until renewed',
        );
    }
  };

  const revoke = (why: string) => {
    if (revoked) return revoked;
    revoked = new LeaseRevoked(`lease of ${executorId} (epoch ${epoch}) revoked: ${why}`);
    clearTimeout(lapseTimer);
    markLapsed();
    waiters = [];
    logger.error({ executorId, epoch }, revoked.message);
    options.onRevoked(revoked);
    return revoked;
  };

  const extend = (sentAt: number) => {
    if (revoked) return;
    if (!isHeld()) {
      heldSince = sentAt;
      if (lapse.signal.aborted) logger.warn({ executorId, epoch }, 'lease renewed: steps resume');
    }
    expiresAt = sentAt + leaseMs;
    if (lapse.signal.aborted) lapse = new AbortController();
    clearTimeout(lapseTimer);
    lapseTimer = setTimeout(
      () => {
        if (!isHeld()) markLapsed();
      },
      expiresAt - mono() + 1,
    );
    lapseTimer.unref();
    const ready = waiters;
    waiters = [];
    for (const w of ready) w();
  };

  const never = new Promise<void>(() => {});

  return {
    executorId,
    async acquire() {
      const sentAt = mono();
      const row = await db
        .insertInto('executors')
        .values({
          id: executorId,
          app_version: options.appVersion,
          started_at: sql<Date>`now()`,
          heartbeat_at: sql<Date>`now()`,
          stopped_at: null,
          reaped_at: null,
          epoch: '1',
        })
        .onConflict((oc) =>
          oc.column('id').doUpdateSet({
            epoch: sql<string>`executors.epoch + 1`,
            app_version: options.appVersion,
            started_at: sql<Date>`now()`,
            heartbeat_at: sql<Date>`now()`,
            stopped_at: null,
            reaped_at: null,
          }),
        )
        .returning('epoch')
        .executeTakeFirstOrThrow();
      epoch = String(row.epoch);
      revoked = undefined;
      extend(sentAt);
      logger.info({ executorId, epoch }, 'lease acquired');
    },
    async renew() {
      if (epoch === undefined) throw new Error('lease.renew before acquire');
      if (revoked) throw revoked;
      const sentAt = mono();
      const r = await db
        .updateTable('executors')
        .set({ heartbeat_at: sql<Date>`now()`, app_version: options.appVersion })
        .where('id', '=', executorId)
        .where('epoch', '=', epoch)
        .where('reaped_at', 'is', null)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) throw revoke('another replica took its work over');
      extend(sentAt);
    },
    isHeld,
    held: () =>
      isHeld() ? Promise.resolve() : revoked ? never : new Promise((r) => waiters.push(r)),
    renewed: () => (revoked ? never : new Promise((r) => waiters.push(r))),
    signal: () => lapse.signal,
    heldForMs: () => (isHeld() ? mono() - heldSince : 0),
    hasLapsed: () => lapsedOnce,
    async fence(tx) {
      if (revoked) throw revoked;
      const row = await tx
        .selectFrom('executors')
        .select('id')
        .where('id', '=', executorId)
        .where('epoch', '=', epoch ?? '-1')
        .where('reaped_at', 'is', null)
        .forKeyShare()
        .executeTakeFirst();
      if (!row) throw revoke('a write found its epoch fenced off');
    },
    async release() {
      clearTimeout(lapseTimer);
      if (epoch === undefined || revoked) return;
      await db
        .updateTable('executors')
        .set({ stopped_at: sql<Date>`now()` })
        .where('id', '=', executorId)
        .where('epoch', '=', epoch)
        .execute();
    },
  };
}
