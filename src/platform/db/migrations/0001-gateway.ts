import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE instances (
      id text PRIMARY KEY CHECK (length(id) <= 64),
      protocol text NOT NULL CHECK (protocol IN ('v1', 'v2')),
      status text NOT NULL,
      status_detail text,
      test boolean NOT NULL,
      order_id text NOT NULL,
      order_line_id text,
      business_id text,
      product_id text,
      sku_code text,
      customer_id text,
      customer_name text,
      charging_mode text,
      period_type text,
      period_number integer,
      trial boolean NOT NULL DEFAULT false,
      expires_at timestamptz,
      order_params jsonb NOT NULL DEFAULT '{}',
      private_sealed text,
      frozen boolean NOT NULL DEFAULT false,
      app_user text,
      app_password_sealed text,
      front_end_url text,
      admin_url text,
      memo text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      ready_at timestamptz,
      released_at timestamptz
    );
    CREATE INDEX instances_order ON instances (order_id);
    CREATE INDEX instances_status ON instances (status);

    CREATE TABLE operations (
      id text PRIMARY KEY,
      seq bigserial NOT NULL UNIQUE,
      instance_id text REFERENCES instances (id) DEFERRABLE INITIALLY DEFERRED,
      kind text NOT NULL,
      status text NOT NULL,
      idempotency_key text UNIQUE,
      order_id text,
      order_line_id text,
      params jsonb NOT NULL DEFAULT '{}',
      params_sealed text,
      inbox_id bigint,
      test boolean NOT NULL DEFAULT false,
      attempts integer NOT NULL DEFAULT 0,
      error jsonb,
      workflow_id text,
      created_at timestamptz NOT NULL,
      started_at timestamptz,
      finished_at timestamptz
    );
    CREATE INDEX operations_instance ON operations (instance_id, seq);
    CREATE INDEX operations_open ON operations (seq) WHERE status IN ('pending', 'running');

    CREATE TABLE inbox (
      id bigserial PRIMARY KEY,
      received_at timestamptz NOT NULL,
      protocol text NOT NULL,
      method text NOT NULL,
      activity text,
      raw_sealed text NOT NULL,
      parsed jsonb,
      idempotency_key text,
      duplicate boolean NOT NULL DEFAULT false,
      instance_id text,
      operation_id text,
      test boolean NOT NULL DEFAULT false,
      key_index integer,
      result_code text NOT NULL,
      answer text NOT NULL,
      duration_ms real NOT NULL,
      answered_late boolean NOT NULL DEFAULT false
    );
    CREATE INDEX inbox_key ON inbox (idempotency_key);
    CREATE INDEX inbox_instance ON inbox (instance_id);
    CREATE INDEX inbox_received ON inbox (received_at);

    CREATE TABLE replay_guard (
      scope text NOT NULL,
      nonce text NOT NULL,
      expires_at timestamptz NOT NULL,
      PRIMARY KEY (scope, nonce)
    );
    CREATE INDEX replay_guard_expiry ON replay_guard (expires_at);

    CREATE TABLE secrets (
      name text PRIMARY KEY,
      sealed text NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    );

    CREATE TABLE licenses (
      id text PRIMARY KEY,
      instance_id text NOT NULL REFERENCES instances (id),
      idempotency_key text NOT NULL UNIQUE,
      order_id text,
      document jsonb NOT NULL,
      signature text NOT NULL,
      text text NOT NULL,
      issued_at timestamptz NOT NULL,
      expires_at timestamptz,
      revoked_at timestamptz
    );
    CREATE INDEX licenses_instance ON licenses (instance_id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE licenses, secrets, replay_guard, inbox, operations, instances`.execute(db);
}
