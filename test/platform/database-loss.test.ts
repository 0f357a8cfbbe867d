import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/platform/db/database.js';
import { createMemoryLogger } from '../../src/platform/logger.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

/**
 * PostgreSQL going away while the service holds a connection (a transaction waiting on its next
 * statement) must be an error of that work, not of the process: pg emits 'error' on a
 * checked-out client whose server ends the session, and an emitter without a listener throws.
 */
describe('database loss', () => {
  it('a connection the server ends while checked out fails its work and the process lives on', async () => {
    const { logger, lines } = createMemoryLogger();
    const handle = await openDatabase({ url: database.url, poolSize: 2, logger, migrate: false });
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      const work = handle.db.connection().execute(async (conn) => {
        const [session] = await conn
          .selectNoFrom((eb) => eb.fn<number>('pg_backend_pid', []).as('pid'))
          .execute();
        // The server ends this session while nothing of ours is running on it.
        await admin.query('SELECT pg_terminate_backend($1)', [session!.pid]);
        await new Promise((resolve) => setTimeout(resolve, 200));
        return conn.selectNoFrom((eb) => eb.val(1).as('one')).execute();
      });
      await expect(work).rejects.toThrow(/not queryable|terminat/);
      expect(uncaught).toEqual([]);
      expect(lines.join('')).toContain('database connection lost');
      // The pool replaces the lost connection: the next query works.
      const { rows } = await handle.pool.query('SELECT 1 AS one');
      expect(rows[0].one).toBe(1);
    } finally {
      process.off('uncaughtException', onUncaught);
      await admin.end();
      await handle.close();
    }
  });
});
