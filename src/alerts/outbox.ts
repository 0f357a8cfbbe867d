import { sql, type Transaction } from 'kysely';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/database.js';
import type { AlertRow, Database } from '../platform/db/schema.js';
import type { Ids } from '../platform/ids.js';
import type { AlertChannel } from './channel.js';
import { type AlertKind, alertKinds, severityRank } from './kinds.js';
import type { AlertNotice } from './notice.js';

/** A condition that holds now: `subject` names what it is about (an instance, a replica, a host). */
export interface AlertInput {
  kind: AlertKind;
  subject: string;
  summary: string;
  details?: Record<string, string | number | boolean | null>;
}

/** What raising and resolving need: where notices go, and the service they come from. */
export interface AlertContext {
  db: Db;
  clock: Clock;
  ids: Ids;
  /** The configured channels: a notice goes to each whose severities include the alert's. */
  channels: ReadonlyArray<Pick<AlertChannel, 'name' | 'severities'>>;
  /** KGD_PUBLIC_URL: receivers tell several services apart by it. */
  source: string;
  /** A cleared condition is resolved only after staying clear this long (one notice per flap). */
  resolveAfterMs: number;
}

type Tx = Transaction<Database>;

const alertKey = (input: Pick<AlertInput, 'kind' | 'subject'>) => `${input.kind}:${input.subject}`;

/**
 * Records that a condition holds. The first time (no open alert with its key) the alert is
 * inserted with one firing notice per routed channel, in one transaction; while it stays open,
 * raising it again only refreshes it, and an alert clearing (inside its hold-down) fires again
 * without a new notice. Returns whether this call opened a new incident.
 */
export async function raiseAlert(ctx: AlertContext, input: AlertInput): Promise<boolean> {
  const key = alertKey(input);
  const info = alertKinds[input.kind];
  const details = JSON.stringify(input.details ?? {});
  return ctx.db.transaction().execute(async (tx) => {
    for (let tries = 0; tries < 3; tries++) {
      const now = ctx.clock.now();
      const open = await tx
        .updateTable('alerts')
        .set({
          state: 'firing',
          cleared_at: null,
          last_seen_at: now,
          summary: input.summary,
          details,
        })
        .where('key', '=', key)
        .where('state', '<>', 'resolved')
        .returning('id')
        .executeTakeFirst();
      if (open) return false;
      const inserted = await tx
        .insertInto('alerts')
        .values({
          id: ctx.ids.next('alert'),
          key,
          kind: input.kind,
          severity: info.severity,
          summary: input.summary,
          details,
          state: 'firing',
          started_at: now,
          last_seen_at: now,
        })
        .onConflict((oc) => oc.column('key').where('state', '<>', 'resolved').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (!inserted) continue; // another replica opened it a moment ago: refresh that one
      const routed = ctx.channels.filter((c) => c.severities.includes(info.severity));
      await enqueue(
        tx,
        ctx,
        inserted,
        'firing',
        routed.map((c) => c.name),
      );
      return true;
    }
    return false;
  });
}

/**
 * Makes the open alerts of `kind` match the conditions holding now: raises each of `holding`,
 * and starts the hold-down of every firing alert of the kind not among them.
 */
export async function reconcileAlerts(
  ctx: AlertContext,
  kind: AlertKind,
  holding: AlertInput[],
): Promise<{ opened: string[]; clearing: string[] }> {
  const opened: string[] = [];
  for (const input of holding) if (await raiseAlert(ctx, input)) opened.push(alertKey(input));
  const keys = holding.map(alertKey);
  let clear = ctx.db
    .updateTable('alerts')
    .set({ state: 'clearing', cleared_at: ctx.clock.now() })
    .where('kind', '=', kind)
    .where('state', '=', 'firing');
  if (keys.length > 0) clear = clear.where('key', 'not in', keys);
  const cleared = await clear.returning('key').execute();
  return { opened, clearing: cleared.map((r) => r.key) };
}

/**
 * Resolves the alerts whose condition stayed clear for the hold-down, each with one resolved
 * notice to every channel its firing notice went to. Returns the keys resolved.
 */
export async function settleAlerts(ctx: AlertContext): Promise<string[]> {
  const now = ctx.clock.now();
  const cutoff = new Date(now.getTime() - ctx.resolveAfterMs);
  return ctx.db.transaction().execute(async (tx) => {
    const due = await tx
      .selectFrom('alerts')
      .selectAll()
      .where('state', '=', 'clearing')
      .where('cleared_at', '<=', cutoff)
      .forUpdate()
      .skipLocked()
      .execute();
    for (const alert of due) {
      const resolved = await tx
        .updateTable('alerts')
        .set({ state: 'resolved', resolved_at: now })
        .where('id', '=', alert.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const sentTo = await tx
        .selectFrom('alert_deliveries')
        .select('channel')
        .where('alert_id', '=', alert.id)
        .where('event', '=', 'firing')
        .execute();
      await enqueue(
        tx,
        ctx,
        resolved,
        'resolved',
        sentTo.map((r) => r.channel),
      );
    }
    return due.map((a) => a.key);
  });
}

async function enqueue(
  tx: Tx,
  ctx: AlertContext,
  alert: AlertRow,
  event: 'firing' | 'resolved',
  channels: string[],
) {
  if (channels.length === 0) return;
  const now = ctx.clock.now();
  await tx
    .insertInto('alert_deliveries')
    .values(
      channels.map((channel) => {
        const id = ctx.ids.next('notice');
        return {
          id,
          alert_id: alert.id,
          channel,
          event,
          payload: JSON.stringify(toNotice(alert, event, id, ctx.source)),
          created_at: now,
          next_attempt_at: now,
        };
      }),
    )
    .onConflict((oc) => oc.columns(['alert_id', 'channel', 'event']).doNothing())
    .execute();
}

/** The notice of an alert as receivers get it (docs/alerts.md). */
export function toNotice(
  alert: Pick<
    AlertRow,
    'id' | 'key' | 'kind' | 'severity' | 'summary' | 'details' | 'started_at' | 'resolved_at'
  >,
  event: 'firing' | 'resolved',
  id: string,
  source: string,
  test = false,
): AlertNotice {
  const info = alertKinds[alert.kind as AlertKind];
  return {
    version: 1,
    id,
    alertId: alert.id,
    event,
    kind: alert.kind,
    severity: alert.severity,
    key: alert.key,
    title: info?.title ?? alert.kind,
    summary: alert.summary,
    runbook: info?.runbook ?? '',
    details: alert.details,
    startedAt: new Date(alert.started_at).toISOString(),
    resolvedAt: alert.resolved_at ? new Date(alert.resolved_at).toISOString() : null,
    source,
    test,
  };
}

/** Open alerts (firing or clearing) and the latest resolved ones, most severe and newest first. */
export async function listAlerts(db: Db, options: { all?: boolean; limit?: number } = {}) {
  let q = db
    .selectFrom('alerts')
    .selectAll('alerts')
    .select((eb) => [
      eb
        .selectFrom('alert_deliveries')
        .select(sql<string>`count(*)`.as('n'))
        .whereRef('alert_deliveries.alert_id', '=', 'alerts.id')
        .where('delivered_at', 'is', null)
        .where('gave_up_at', 'is', null)
        .as('pending'),
      eb
        .selectFrom('alert_deliveries')
        .select(sql<string>`count(*)`.as('n'))
        .whereRef('alert_deliveries.alert_id', '=', 'alerts.id')
        .where('gave_up_at', 'is not', null)
        .as('failed'),
    ]);
  if (!options.all) q = q.where('state', '<>', 'resolved');
  const rows = await q
    .orderBy('started_at', 'desc')
    .limit(options.limit ?? 100)
    .execute();
  return rows.sort(
    (a, b) =>
      severityRank[b.severity] - severityRank[a.severity] ||
      new Date(b.started_at).getTime() - new Date(a.started_at).getTime(),
  );
}
