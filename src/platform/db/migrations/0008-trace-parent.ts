import { type Kysely, sql } from 'kysely';

/**
 * Tracing: each operation keeps the traceparent of the span that recorded it (a marketplace
 * call), so its workflow's steps continue that trace, after a restart too. Null when tracing is off.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE operations ADD COLUMN trace_parent text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE operations DROP COLUMN trace_parent`.execute(db);
}
