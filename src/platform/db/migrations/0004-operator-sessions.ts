import { type Kysely, sql } from 'kysely';

/**
 * Dashboard sessions kept on the server (the cookie holds a random id, the table its SHA-256),
 * and an optional expiry for API tokens.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE admin_tokens ADD COLUMN expires_at timestamptz;

    CREATE TABLE operator_sessions (
      hash text PRIMARY KEY,
      token_id text NOT NULL REFERENCES admin_tokens (id),
      created_at timestamptz NOT NULL,
      last_seen_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      revoked_at timestamptz
    );
    CREATE INDEX operator_sessions_token ON operator_sessions (token_id);
    CREATE INDEX operator_sessions_expires ON operator_sessions (expires_at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE operator_sessions;
    ALTER TABLE admin_tokens DROP COLUMN expires_at;
  `.execute(db);
}
