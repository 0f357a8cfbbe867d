import type { Hono } from 'hono';
import { sql } from 'kysely';
import type { Db } from '../platform/db/database.js';

/** `/healthz`: the process answers. `/readyz`: the database answers and the engine is running. */
export function registerHealth(app: Hono, deps: { db: Db; engineReady: () => boolean }): void {
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const checks: Record<string, string> = {};
    try {
      await sql`SELECT 1`.execute(deps.db);
      checks.database = 'ok';
    } catch (err) {
      checks.database = (err as Error).message;
    }
    checks.engine = deps.engineReady() ? 'ok' : 'starting';
    const ready = Object.values(checks).every((v) => v === 'ok');
    return c.json({ status: ready ? 'ready' : 'not ready', checks }, ready ? 200 : 503);
  });
}
