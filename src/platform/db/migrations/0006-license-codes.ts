import { type Kysely, sql } from 'kysely';

/**
 * License codes 2.0 (spec §8): the codes this service knows (learned when it activates or queries
 * one), and every renewal, status change and release the marketplace sent for one, keyed so a
 * resend (60 tries, every 2 minutes) is recorded and acted on once.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE license_codes (
      code text PRIMARY KEY,
      product_id text,
      order_id text,
      order_line_id text,
      instance_id text REFERENCES instances (id),
      marketplace_status text,
      frozen boolean NOT NULL DEFAULT false,
      released_at timestamptz(3),
      expires_at timestamptz(3),
      activated_at timestamptz(3),
      answer jsonb,
      created_at timestamptz(3) NOT NULL,
      updated_at timestamptz(3) NOT NULL
    );
    CREATE INDEX license_codes_order ON license_codes (order_id);

    CREATE TABLE license_code_events (
      id bigserial PRIMARY KEY,
      code text NOT NULL REFERENCES license_codes (code),
      activity text NOT NULL,
      idempotency_key text NOT NULL UNIQUE,
      params jsonb NOT NULL,
      effect text NOT NULL,
      operation_id text,
      at timestamptz(3) NOT NULL
    );
    CREATE INDEX license_code_events_code ON license_code_events (code, id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE license_code_events, license_codes`.execute(db);
}
