import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** Kysely row types of the project's own tables (DBOS keeps its state in the `dbos` schema). */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T = unknown> = ColumnType<T, string, string>;

export type InstanceStatus =
  | 'pending'
  | 'deploying'
  | 'ready'
  | 'frozen'
  | 'failed'
  | 'releasing'
  | 'released'
  | 'cleanup_failed';

export type OperationKind =
  | 'deploy'
  | 'renew'
  | 'expire'
  | 'release'
  | 'upgrade'
  | 'freeze'
  | 'unfreeze'
  | 'license'
  | 'license-upload'
  | 'sync';

export type OperationStatus =
  | 'pending'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'superseded'
  | 'cleanup_failed';

interface InstancesTable {
  id: string;
  protocol: 'v1' | 'v2';
  status: InstanceStatus;
  status_detail: string | null;
  test: boolean;
  order_id: string;
  order_line_id: string | null;
  business_id: string | null;
  product_id: string | null;
  sku_code: string | null;
  customer_id: string | null;
  customer_name: string | null;
  charging_mode: string | null;
  period_type: string | null;
  period_number: number | null;
  trial: boolean;
  expires_at: Timestamp | null;
  /** Non-secret order parameters as received (extension parameter values removed). */
  order_params: Json<Record<string, unknown>>;
  /** Extension parameters and contact fields, sealed (they may carry a buyer's passwords). */
  private_sealed: string | null;
  frozen: boolean;
  app_user: string | null;
  app_password_sealed: string | null;
  front_end_url: string | null;
  admin_url: string | null;
  memo: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  ready_at: Timestamp | null;
  released_at: Timestamp | null;
  product_name: string | null;
  template_version: string | null;
  region: string | null;
  flavor: string | null;
  az: string | null;
  server_id: string | null;
  eip: string | null;
  private_ip: string | null;
  vpc_id: string | null;
  subnet_id: string | null;
  security_group_id: string | null;
  /** SSH host key fingerprint pinned at first contact. */
  host_key: string | null;
  root_password_sealed: string | null;
  alerted_at: Timestamp | null;
}

interface OperationsTable {
  id: string;
  seq: Generated<string>;
  instance_id: string | null;
  kind: OperationKind;
  status: OperationStatus;
  idempotency_key: string | null;
  order_id: string | null;
  order_line_id: string | null;
  params: Json<Record<string, unknown>>;
  params_sealed: string | null;
  inbox_id: string | null;
  test: boolean;
  attempts: Generated<number>;
  error: Json<Record<string, unknown>> | null;
  workflow_id: string | null;
  created_at: Timestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  cancel_requested_at: Timestamp | null;
  /** Operator edits for a rerun (flavor, az, image, sshPort, templateVersion). */
  overrides: ColumnType<Record<string, unknown>, string | undefined, string>;
  failed_step: string | null;
  /** How many times operators reran it: part of client tokens, so a rerun creates afresh. */
  reruns: Generated<number>;
  enqueued_at: Timestamp | null;
  /** The W3C traceparent of the span that recorded it: its workflow's spans continue that trace. */
  trace_parent: ColumnType<string | null, string | null | undefined, string | null>;
}

interface OperationLogsTable {
  id: Generated<string>;
  operation_id: string;
  instance_id: string | null;
  at: Timestamp;
  level: 'debug' | 'info' | 'warn' | 'error';
  step: string | null;
  stream: string | null;
  message: string;
}

interface CloudRateSlotsTable {
  api: string;
  at: Timestamp;
}

interface ExecutorsTable {
  id: string;
  app_version: string;
  started_at: Timestamp;
  heartbeat_at: Timestamp;
  stopped_at: Timestamp | null;
  reaped_at: Timestamp | null;
  /** Bumped by each process that takes the replica's lease: the fencing token of its writes. */
  epoch: Generated<string>;
}

interface InboxTable {
  id: Generated<string>;
  received_at: Timestamp;
  protocol: 'v1' | 'v2' | 'unknown';
  method: string;
  activity: string | null;
  raw_sealed: string;
  parsed: Json<Record<string, unknown>> | null;
  idempotency_key: string | null;
  duplicate: boolean;
  instance_id: string | null;
  operation_id: string | null;
  test: boolean;
  key_index: number | null;
  result_code: string;
  answer: string;
  duration_ms: number;
  answered_late: Generated<boolean>;
}

interface ReplayGuardTable {
  scope: string;
  nonce: string;
  expires_at: Timestamp;
}

interface SecretsTable {
  name: string;
  sealed: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

interface LicensesTable {
  id: string;
  instance_id: string;
  idempotency_key: string;
  order_id: string | null;
  document: Json<Record<string, unknown>>;
  signature: string;
  text: string;
  issued_at: Timestamp;
  expires_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

/** A license code 2.0 (spec §8) as this service knows it. */
interface LicenseCodesTable {
  code: string;
  product_id: string | null;
  order_id: string | null;
  order_line_id: string | null;
  /** The deployment the code belongs to (same order, or bound by an operator). */
  instance_id: string | null;
  /** What the marketplace last answered: ALIVE, EXPIRED, RELEASED. */
  marketplace_status: string | null;
  frozen: ColumnType<boolean, boolean | undefined, boolean>;
  released_at: Timestamp | null;
  expires_at: Timestamp | null;
  activated_at: Timestamp | null;
  /** The marketplace's last activate or query answer (`data`), unknown fields kept. */
  answer: Json<Record<string, unknown>> | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** refreshLicenseCode / updateLicenseCodeStatus / releaseLicenseCode, each recorded once. */
interface LicenseCodeEventsTable {
  id: Generated<string>;
  code: string;
  activity: string;
  idempotency_key: string;
  params: Json<Record<string, unknown>>;
  /** What the product's rules made of it: recorded, freeze, release, ignored, … */
  effect: string;
  operation_id: string | null;
  at: Timestamp;
}

export interface Database {
  instances: InstancesTable;
  operations: OperationsTable;
  inbox: InboxTable;
  replay_guard: ReplayGuardTable;
  secrets: SecretsTable;
  licenses: LicensesTable;
  license_codes: LicenseCodesTable;
  license_code_events: LicenseCodeEventsTable;
  operation_logs: OperationLogsTable;
  executors: ExecutorsTable;
  cloud_rate_slots: CloudRateSlotsTable;
  admin_tokens: AdminTokensTable;
  operator_sessions: OperatorSessionsTable;
  audit_log: AuditLogTable;
  alerts: AlertsTable;
  alert_deliveries: AlertDeliveriesTable;
}

export type Instance = Selectable<InstancesTable>;
export type NewInstance = Insertable<InstancesTable>;
export type InstanceUpdate = Updateable<InstancesTable>;
export type Operation = Selectable<OperationsTable>;
export type NewOperation = Insertable<OperationsTable>;
export type InboxEntry = Selectable<InboxTable>;
export type License = Selectable<LicensesTable>;
export type OperationLog = Selectable<OperationLogsTable>;

export type TokenScope = 'read' | 'operate';

/** Operator API tokens: only a SHA-256 of the secret part is kept. */
interface AdminTokensTable {
  id: string;
  name: string;
  scope: TokenScope;
  hash: string;
  created_at: Timestamp;
  created_by: string;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
  /** After this the token is refused; null: until revoked. */
  expires_at: Timestamp | null;
}

/** Dashboard sign-ins: only a SHA-256 of the random session id (the cookie) is kept. */
interface OperatorSessionsTable {
  hash: string;
  token_id: string;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  /** The absolute end; the idle end is last_seen_at plus the idle limit. */
  expires_at: Timestamp;
  revoked_at: Timestamp | null;
}

/** Every mutating operator action: who, what, on which target, why, when, before and after. */
interface AuditLogTable {
  id: Generated<string>;
  at: Timestamp;
  actor: string;
  action: string;
  target: string;
  reason: string;
  before: Json<Record<string, unknown>> | null;
  after: Json<Record<string, unknown>> | null;
  /** ok, refused or failed. */
  result: 'ok' | 'refused' | 'failed';
  detail: string | null;
}

export type AuditEntry = Selectable<AuditLogTable>;

export type AlertSeverity = 'critical' | 'warning' | 'info';
type AlertState = 'firing' | 'clearing' | 'resolved';

/** One incident of a condition; at most one open (firing or clearing) per key. */
interface AlertsTable {
  id: string;
  key: string;
  kind: string;
  severity: AlertSeverity;
  summary: string;
  details: Json<Record<string, string | number | boolean | null>>;
  state: AlertState;
  started_at: Timestamp;
  last_seen_at: Timestamp;
  /** When the condition stopped holding; resolved once it stays clear for the hold-down. */
  cleared_at: Timestamp | null;
  resolved_at: Timestamp | null;
}

/** The outbox: one notice (firing or resolved) of one alert to one channel. */
interface AlertDeliveriesTable {
  id: string;
  alert_id: string;
  channel: string;
  event: 'firing' | 'resolved';
  payload: Json<Record<string, unknown>>;
  created_at: Timestamp;
  attempts: Generated<number>;
  next_attempt_at: Timestamp;
  claimed_until: Timestamp | null;
  delivered_at: Timestamp | null;
  gave_up_at: Timestamp | null;
  last_error: string | null;
}

export type AlertRow = Selectable<AlertsTable>;

export type LicenseCode = Selectable<LicenseCodesTable>;
