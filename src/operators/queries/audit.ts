import type { Db } from '../../platform/db/database.js';
import type { AuditEntry } from '../../platform/db/schema.js';
import type { AuditEntryView } from '../model.js';
import { iso, parseLimit, parseSince } from './filters.js';

export interface AuditRecord {
  at: Date;
  actor: string;
  action: string;
  target: string;
  reason: string;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  result: 'ok' | 'refused' | 'failed';
  detail?: string | null;
}

/** Appends one entry to the audit log. Entries are never updated or deleted. */
export async function recordAudit(db: Db, entry: AuditRecord): Promise<string> {
  const row = await db
    .insertInto('audit_log')
    .values({
      at: entry.at,
      actor: entry.actor,
      action: entry.action,
      target: entry.target,
      reason: entry.reason,
      before: entry.before ? JSON.stringify(entry.before) : null,
      after: entry.after ? JSON.stringify(entry.after) : null,
      result: entry.result,
      detail: entry.detail ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return String(row.id);
}

function toAuditView(row: AuditEntry): AuditEntryView {
  return {
    id: String(row.id),
    at: iso(row.at)!,
    actor: row.actor,
    action: row.action,
    target: row.target,
    reason: row.reason,
    before: row.before,
    after: row.after,
    result: row.result,
    detail: row.detail,
  };
}

export interface AuditFilters {
  /** An instance, operation, inbox or token id; an instance also matches its operations. */
  target?: string | undefined;
  actor?: string | undefined;
  action?: string | undefined;
  since?: string | undefined;
  limit?: string | number | undefined;
}

/** The audit log, newest first. */
export async function listAudit(db: Db, f: AuditFilters, now: Date): Promise<AuditEntryView[]> {
  let q = db.selectFrom('audit_log').selectAll();
  if (f.target) {
    const t = f.target;
    const ops = db.selectFrom('operations').select('id').where('instance_id', '=', t);
    q = q.where((eb) => eb.or([eb('target', '=', t), eb('target', 'in', ops)]));
  }
  if (f.actor) q = q.where('actor', '=', f.actor);
  if (f.action) q = q.where('action', '=', f.action);
  if (f.since) q = q.where('at', '>=', parseSince(f.since, now));
  const rows = await q.orderBy('id', 'desc').limit(parseLimit(f.limit, 50)).execute();
  return rows.map(toAuditView);
}
