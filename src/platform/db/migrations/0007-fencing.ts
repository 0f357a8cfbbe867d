import { type Kysely, sql } from 'kysely';

/**
 * Fencing: each process of a replica holds its lease under a new epoch (the fencing token its
 * writes carry); a takeover revokes that epoch (`reaped_at`) before handing its work over.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE executors ADD COLUMN epoch bigint NOT NULL DEFAULT 0`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE executors DROP COLUMN epoch`.execute(db);
}
