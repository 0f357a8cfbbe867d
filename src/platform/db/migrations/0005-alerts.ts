import { type Kysely, sql } from 'kysely';

/**
 * Alerts and their delivery outbox. An alert is one incident of a condition (its key, such as
 * `deployment-failed:kgi-…`): at most one is open per key, so a condition seen again adds no
 * notice. Each notice to each channel is a row of `alert_deliveries`, written in the same
 * transaction as the alert and sent by the engine afterwards: a crash between the two loses
 * nothing, and the unique (alert, channel, event) sends each notice once.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE alerts (
      id text PRIMARY KEY,
      key text NOT NULL,
      kind text NOT NULL,
      severity text NOT NULL CHECK (severity IN ('critical', 'warning', 'info')),
      summary text NOT NULL,
      details jsonb NOT NULL,
      state text NOT NULL CHECK (state IN ('firing', 'clearing', 'resolved')),
      started_at timestamptz NOT NULL,
      last_seen_at timestamptz NOT NULL,
      cleared_at timestamptz,
      resolved_at timestamptz
    );
    CREATE UNIQUE INDEX alerts_open_key ON alerts (key) WHERE state <> 'resolved';
    CREATE INDEX alerts_kind_state ON alerts (kind, state);
    CREATE INDEX alerts_started ON alerts (started_at);

    CREATE TABLE alert_deliveries (
      id text PRIMARY KEY,
      alert_id text NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
      channel text NOT NULL,
      event text NOT NULL CHECK (event IN ('firing', 'resolved')),
      payload jsonb NOT NULL,
      created_at timestamptz NOT NULL,
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL,
      claimed_until timestamptz,
      delivered_at timestamptz,
      gave_up_at timestamptz,
      last_error text,
      UNIQUE (alert_id, channel, event)
    );
    CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at)
      WHERE delivered_at IS NULL AND gave_up_at IS NULL;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE alert_deliveries, alerts`.execute(db);
}
