import { sql } from 'kysely';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/database.js';
import type { Pacer } from './ports.js';

/**
 * Paces a rate-limited cloud call (server creation) across every replica: at most `limit` calls
 * in any sliding `windowMs`, counted in PostgreSQL under an advisory lock, with the database's
 * clock. A process that dies after taking a slot only wastes that slot. DBOS queue rate limits
 * count workflow starts, not calls inside a workflow, hence this.
 *
 * @example
 *   const creates = createDbPacer({ db, clock }, 'ecs.createServers', { limit: 100, windowMs: 60_000 });
 *   await creates.acquire(signal);
 */
export function createDbPacer(
  deps: { db: Db; clock: Clock },
  api: string,
  options: { limit: number; windowMs: number },
): Pacer {
  const window = `${options.windowMs} milliseconds`;
  return {
    async acquire(signal) {
      for (;;) {
        const waitMs = await deps.db.transaction().execute(async (tx) => {
          await sql`SELECT pg_advisory_xact_lock(hashtext(${`kgd-rate:${api}`}))`.execute(tx);
          await sql`DELETE FROM cloud_rate_slots WHERE api = ${api} AND at < clock_timestamp() - ${window}::interval`.execute(
            tx,
          );
          const { rows } = await sql<{ n: number; wait_ms: number | null }>`
            SELECT count(*)::int AS n,
                   ceil(extract(epoch FROM (min(at) + ${window}::interval - clock_timestamp())) * 1000)::int AS wait_ms
              FROM cloud_rate_slots WHERE api = ${api}`.execute(tx);
          const { n, wait_ms } = rows[0]!;
          if (n < options.limit) {
            await sql`INSERT INTO cloud_rate_slots (api, at) VALUES (${api}, clock_timestamp())`.execute(
              tx,
            );
            return 0;
          }
          return Math.max(10, wait_ms ?? 10);
        });
        if (waitMs === 0) return;
        await deps.clock.sleep(waitMs, signal);
      }
    },
  };
}
