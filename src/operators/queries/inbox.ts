import type { Db } from '../../platform/db/database.js';
import type { InboxEntry } from '../../platform/db/schema.js';
import { ActionError } from '../../platform/errors.js';
import type { InboxDetail, InboxSummary } from '../model.js';
import { iso, parseLimit, parseSince } from './filters.js';

export interface InboxFilters {
  activity?: string | undefined;
  /** Calls about this instance. */
  instance?: string | undefined;
  /** A result code such as 000000, or `failed` for every other code. */
  result?: string | undefined;
  since?: string | undefined;
  limit?: string | number | undefined;
}

function toInboxSummary(row: InboxEntry): InboxSummary {
  return {
    id: String(row.id),
    receivedAt: iso(row.received_at)!,
    protocol: row.protocol,
    method: row.method,
    activity: row.activity,
    resultCode: row.result_code,
    instanceId: row.instance_id,
    operationId: row.operation_id,
    duplicate: row.duplicate,
    test: row.test,
    durationMs: Math.round(row.duration_ms * 10) / 10,
    answeredLate: row.answered_late,
  };
}

/** Marketplace calls recorded by the gateway, newest first. */
export async function listInbox(db: Db, f: InboxFilters, now: Date): Promise<InboxSummary[]> {
  let q = db.selectFrom('inbox').selectAll();
  if (f.activity) q = q.where('activity', '=', f.activity);
  if (f.instance) q = q.where('instance_id', '=', f.instance);
  if (f.result === 'failed') q = q.where('result_code', '!=', '000000');
  else if (f.result) {
    if (!/^\d{6}$/.test(f.result))
      throw new ActionError(
        'INVALID_REQUEST',
        'result: expected a six-digit result code or "failed"',
      );
    q = q.where('result_code', '=', f.result);
  }
  if (f.since) q = q.where('received_at', '>=', parseSince(f.since, now));
  const rows = await q.orderBy('id', 'desc').limit(parseLimit(f.limit, 50)).execute();
  return rows.map(toInboxSummary);
}

export async function loadInboxRow(db: Db, id: string): Promise<InboxEntry> {
  if (!/^\d{1,18}$/.test(id))
    throw new ActionError('INVALID_REQUEST', `inbox id: expected a number, got ${id}`);
  const row = await db.selectFrom('inbox').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new ActionError('NOT_FOUND', `no inbox entry ${id}`);
  return row;
}

/** The answer as sent, with the encrypted password replaced: it is not for operators' eyes. */
export function redactAnswer(answer: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer);
  } catch {
    return answer;
  }
  const scrub = (info: unknown) => {
    if (info && typeof info === 'object' && 'password' in info)
      (info as Record<string, unknown>).password = '[encrypted]';
  };
  if (parsed && typeof parsed === 'object') {
    const p = parsed as { appInfo?: unknown; info?: Array<{ appInfo?: unknown }> };
    scrub(p.appInfo);
    if (Array.isArray(p.info)) for (const i of p.info) scrub(i?.appInfo);
  }
  return parsed;
}

export async function inboxDetail(db: Db, id: string): Promise<InboxDetail> {
  const row = await loadInboxRow(db, id);
  return {
    ...toInboxSummary(row),
    idempotencyKey: row.idempotency_key,
    parsed: row.parsed,
    answer: redactAnswer(row.answer),
  };
}
