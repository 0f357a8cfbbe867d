import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { Logger } from '../../platform/logger.js';

/** What changed since the previous poll. */
interface Change {
  /** Instances whose row changed or that have new log lines. */
  instances: string[];
  inbox: boolean;
  audit: boolean;
}

export interface ChangeFeed {
  subscribe(listener: (change: Change) => void): () => void;
  /** Ends every subscription (the SSE streams close) and stops polling. */
  close(): void;
  readonly closed: boolean;
  onClose(listener: () => void): () => void;
}

interface Marks {
  updatedAt: string;
  logId: string;
  auditId: string;
  inboxId: string;
}

async function marks(db: Db): Promise<Marks> {
  const r = await sql<Marks>`
    SELECT coalesce((SELECT max(updated_at) FROM instances), 'epoch')::text AS "updatedAt",
           coalesce((SELECT max(id) FROM operation_logs), 0)::text AS "logId",
           coalesce((SELECT max(id) FROM audit_log), 0)::text AS "auditId",
           coalesce((SELECT max(id) FROM inbox), 0)::text AS "inboxId"`.execute(db);
  return r.rows[0]!;
}

/**
 * Deployment changes for the dashboard's live updates: one poll of the database per second per
 * process (not per browser), and only while someone listens. Polling is simple and robust: it
 * sees changes made by any replica and by CLI processes alike.
 *
 * @example
 *   const feed = createChangeFeed({ db, logger, intervalMs: 1000 });
 *   const stop = feed.subscribe((change) => send(change));
 */
export function createChangeFeed(deps: {
  db: Db;
  logger: Logger;
  intervalMs?: number;
}): ChangeFeed {
  const listeners = new Set<(c: Change) => void>();
  const closers = new Set<() => void>();
  let last: Marks | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const interval = deps.intervalMs ?? 1000;

  async function poll() {
    const now = await marks(deps.db);
    const prev = last;
    last = now;
    if (!prev) return;
    const changed = new Set<string>();
    if (now.updatedAt !== prev.updatedAt) {
      const rows = await sql<{
        id: string;
      }>`SELECT id FROM instances WHERE updated_at > ${prev.updatedAt}::timestamptz`.execute(
        deps.db,
      );
      for (const r of rows.rows) changed.add(r.id);
    }
    if (now.logId !== prev.logId) {
      const rows = await deps.db
        .selectFrom('operation_logs')
        .select('instance_id')
        .distinct()
        .where('id', '>', prev.logId)
        .where('id', '<=', now.logId)
        .execute();
      for (const r of rows) if (r.instance_id) changed.add(r.instance_id);
    }
    const change: Change = {
      instances: [...changed],
      inbox: now.inboxId !== prev.inboxId,
      audit: now.auditId !== prev.auditId,
    };
    if (change.instances.length || change.inbox || change.audit)
      for (const l of listeners) l(change);
  }

  const schedule = () => {
    timer = setTimeout(() => {
      poll()
        .catch((err: Error) =>
          deps.logger.warn({ err: err.message }, 'dashboard change feed poll failed'),
        )
        .finally(() => {
          if (listeners.size > 0 && !closed) schedule();
          else timer = undefined;
        });
    }, interval);
    timer.unref();
  };

  return {
    subscribe(listener) {
      if (closed) return () => {};
      listeners.add(listener);
      if (!timer) {
        last = undefined;
        // Take the starting marks at once, so nothing between now and the first tick is lost.
        void marks(deps.db).then(
          (m) => {
            last ??= m;
          },
          () => {},
        );
        schedule();
      }
      return () => listeners.delete(listener);
    },
    close() {
      closed = true;
      listeners.clear();
      if (timer) clearTimeout(timer);
      timer = undefined;
      for (const c of closers) c();
      closers.clear();
    },
    get closed() {
      return closed;
    },
    onClose(listener) {
      closers.add(listener);
      return () => closers.delete(listener);
    },
  };
}
