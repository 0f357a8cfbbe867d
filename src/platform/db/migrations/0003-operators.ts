import { type Kysely, sql } from 'kysely';

/** Operators: API tokens (only their hash is kept) and the audit log of every mutating action. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE admin_tokens (
      id text PRIMARY KEY,
      name text NOT NULL UNIQUE,
      scope text NOT NULL CHECK (scope IN ('read', 'operate')),
      hash text NOT NULL,
      created_at timestamptz NOT NULL,
      created_by text NOT NULL,
      last_used_at timestamptz,
      revoked_at timestamptz
    );

    CREATE TABLE audit_log (
      id bigserial PRIMARY KEY,
      at timestamptz NOT NULL,
      actor text NOT NULL,
      action text NOT NULL,
      target text NOT NULL,
      reason text NOT NULL,
      before jsonb,
      after jsonb,
      result text NOT NULL,
      detail text
    );
    CREATE INDEX audit_log_target ON audit_log (target, id);
    CREATE INDEX audit_log_at ON audit_log (at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE audit_log, admin_tokens`.execute(db);
}
