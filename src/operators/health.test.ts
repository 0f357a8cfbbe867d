import { createServer, type Server, type Socket } from 'node:net';
import { Hono } from 'hono';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../platform/db/schema.js';
import { registerHealth } from './health.js';

/**
 * /readyz against a database that hangs: a server that accepts connections and never answers
 * (as a PostgreSQL whose host froze), and one that refuses them.
 */
let hung: Server;
const held: Socket[] = [];
let port = 0;

beforeAll(async () => {
  hung = createServer((socket) => held.push(socket));
  await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
  port = (hung.address() as { port: number }).port;
});

afterAll(async () => {
  for (const s of held) s.destroy();
  await new Promise<void>((resolve) => hung.close(() => resolve()));
});

function appOn(dbPort: number) {
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({
      pool: new pg.Pool({ host: '127.0.0.1', port: dbPort, user: 'kgd', database: 'kgd' }),
    }),
  });
  const app = new Hono();
  registerHealth(app, { db, engineReady: () => true });
  return { app, db };
}

describe('/readyz', () => {
  it('answers 503 within about a second when the database hangs, with no detail', async () => {
    const { app } = appOn(port);
    const started = Date.now();
    const res = await app.request('/readyz');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      status: 'not ready',
      checks: { database: 'unavailable', engine: 'ok' },
    });
    expect((await app.request('/healthz')).status).toBe(200);
  });

  it('never shows the database error text', async () => {
    // Nothing listens on the closed server's port once it is closed: connection refused.
    const gone = createServer();
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    const closedPort = (gone.address() as { port: number }).port;
    await new Promise<void>((resolve) => gone.close(() => resolve()));
    const { app, db } = appOn(closedPort);
    const text = await (await app.request('/readyz')).text();
    expect(text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|connect/);
    expect(JSON.parse(text).checks.database).toBe('unavailable');
    await db.destroy();
  });
});
