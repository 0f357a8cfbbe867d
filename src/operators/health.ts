import type { Hono } from 'hono';
import { sql } from 'kysely';
import type { Db } from '../platform/db/database.js';

/** How long /readyz waits for the database: a probe must answer even when the database hangs. */
const readyTimeoutMs = 1000;

async function databaseAnswers(db: Db): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), readyTimeoutMs);
  });
  const query = sql`SELECT 1`.execute(db).then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([query, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `/healthz`: the process answers. `/readyz`: the database answers within a second and the
 * engine is running. Both are public (load balancers call them), so they say only ok or not:
 * never a database error, host or version.
 */
export function registerHealth(app: Hono, deps: { db: Db; engineReady: () => boolean }): void {
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const checks = {
      database: (await databaseAnswers(deps.db)) ? 'ok' : 'unavailable',
      engine: deps.engineReady() ? 'ok' : 'starting',
    };
    const ready = checks.database === 'ok' && checks.engine === 'ok';
    return c.json({ status: ready ? 'ready' : 'not ready', checks }, ready ? 200 : 503);
  });
}
