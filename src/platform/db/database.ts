import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Logger } from '../logger.js';
import { migrationProvider } from './migrations/index.js';
import type { Database } from './schema.js';

// int8 (bigserial ids, counts) as strings is pg's default; keep it, but parse numeric timestamps natively.
export type Db = Kysely<Database>;

export interface DatabaseHandle {
  db: Db;
  pool: pg.Pool;
  url: string;
  close(): Promise<void>;
}

/**
 * Opens the project's database (a pool, Kysely on top) and applies pending migrations. Several
 * replicas may start at once: Kysely's Migrator serialises them with an advisory lock.
 *
 * @example
 *   const { db, close } = await openDatabase({ url, poolSize: 10, logger });
 */
export async function openDatabase(options: {
  url: string;
  poolSize: number;
  logger: Logger;
  applicationName?: string;
  migrate?: boolean;
  /**
   * PostgreSQL ends a session idle inside a transaction this long: a process paused mid-transaction
   * (stopped, starved) must not hold its locks — the fence of a takeover among them — forever.
   */
  idleInTransactionTimeoutMs?: number;
}): Promise<DatabaseHandle> {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    application_name: options.applicationName ?? 'kgd',
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    ...(options.idleInTransactionTimeoutMs
      ? { idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs }
      : {}),
  });
  const lost = (err: Error) =>
    options.logger.warn({ err: err.message }, 'database connection lost');
  // pg-pool listens for errors on idle connections only; a connection checked out (a Kysely
  // transaction between statements) whose server goes away emits 'error' with no listener, which
  // ends the process. The work on it fails through its query; the process must live on.
  pool.on('connect', (client) => client.on('error', lost));
  pool.on('error', lost);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await sql`SELECT 1`.execute(db);
  } catch (cause) {
    await db.destroy().catch(() => {});
    throw new Error(`cannot connect to PostgreSQL: ${(cause as Error).message}`, { cause });
  }
  if (options.migrate !== false) await migrate(db, options.logger);
  return {
    db,
    pool,
    url: options.url,
    close: () => db.destroy(),
  };
}

async function migrate(db: Db, logger: Logger): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  for (const r of results ?? []) {
    if (r.status === 'Success') logger.info({ migration: r.migrationName }, 'migration applied');
    if (r.status === 'Error') logger.error({ migration: r.migrationName }, 'migration failed');
  }
  if (error)
    throw new Error(`database migration failed: ${(error as Error).message}`, { cause: error });
}

/** SQLSTATE classes and codes that mean "the database went away", not "the statement is wrong". */
const connectionLossCodes = new Set(['57P01', '57P02', '57P03', 'ECONNREFUSED', 'ECONNRESET']);

/**
 * Whether `err` (or its cause) is the loss of the database connection: the server shut down or
 * ended the session, refused or dropped the connection, or the pool could not connect in time.
 * The work is sound and can run again once the database is back.
 */
/**
 * PostgreSQL refused text it cannot store: a NUL byte (22021), a character its encoding lacks
 * (22P05), or a JSON string with a lone surrogate (22P02 on a json value). Such text came from a client; the request is what is wrong, not the service.
 */
export function isUnstorableText(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === '22021' || code === '22P05') return true;
    // A lone UTF-16 surrogate (JSON "\ud800") is valid in JavaScript, not in a jsonb value.
    if (code === '22P02' && /type json/.test(e.message)) return true;
  }
  return false;
}

export function isConnectionLoss(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (code.startsWith('08') || connectionLossCodes.has(code)))
      return true;
    if (
      /Connection terminated|not queryable|timeout exceeded when trying to connect|the database system is (starting up|shutting down)|is not currently accepting connections/i.test(
        e.message,
      )
    )
      return true;
  }
  return false;
}
