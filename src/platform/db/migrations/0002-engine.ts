import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE instances
      ADD COLUMN product_name text,
      ADD COLUMN template_version text,
      ADD COLUMN region text,
      ADD COLUMN flavor text,
      ADD COLUMN az text,
      ADD COLUMN server_id text,
      ADD COLUMN eip text,
      ADD COLUMN private_ip text,
      ADD COLUMN vpc_id text,
      ADD COLUMN subnet_id text,
      ADD COLUMN security_group_id text,
      ADD COLUMN host_key text,
      ADD COLUMN root_password_sealed text,
      ADD COLUMN alerted_at timestamptz;

    ALTER TABLE operations
      ADD COLUMN cancel_requested_at timestamptz,
      ADD COLUMN overrides jsonb NOT NULL DEFAULT '{}',
      ADD COLUMN failed_step text,
      ADD COLUMN reruns integer NOT NULL DEFAULT 0,

      ADD COLUMN enqueued_at timestamptz;
    CREATE INDEX operations_unqueued ON operations (seq) WHERE status = 'pending' AND enqueued_at IS NULL;

    CREATE TABLE operation_logs (
      id bigserial PRIMARY KEY,
      operation_id text NOT NULL,
      instance_id text,
      at timestamptz NOT NULL,
      level text NOT NULL,
      step text,
      stream text,
      message text NOT NULL
    );
    CREATE INDEX operation_logs_operation ON operation_logs (operation_id, id);

    -- Global pacing of rate-limited cloud calls (server creation), shared by every replica.
    CREATE TABLE cloud_rate_slots (
      api text NOT NULL,
      at timestamptz NOT NULL
    );
    CREATE INDEX cloud_rate_slots_api ON cloud_rate_slots (api, at);

    CREATE TABLE executors (

      id text PRIMARY KEY,
      app_version text NOT NULL,
      started_at timestamptz NOT NULL,
      heartbeat_at timestamptz NOT NULL,
      stopped_at timestamptz,
      reaped_at timestamptz
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE executors, operation_logs, cloud_rate_slots;

    ALTER TABLE operations DROP COLUMN cancel_requested_at, DROP COLUMN overrides, DROP COLUMN failed_step, DROP COLUMN reruns, DROP COLUMN enqueued_at;

    ALTER TABLE instances DROP COLUMN product_name, DROP COLUMN template_version, DROP COLUMN region,
      DROP COLUMN flavor, DROP COLUMN az, DROP COLUMN server_id, DROP COLUMN eip, DROP COLUMN private_ip,
      DROP COLUMN vpc_id, DROP COLUMN subnet_id, DROP COLUMN security_group_id, DROP COLUMN host_key,
      DROP COLUMN root_password_sealed, DROP COLUMN alerted_at;
  `.execute(db);
}
