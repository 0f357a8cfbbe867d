import type { Db } from '../../platform/db/database.js';
import type { OperationLog } from '../../platform/db/schema.js';
import type { LogLine, LogPage } from '../model.js';
import { resolveDeployment } from './deployments.js';
import { iso, parseLimit } from './filters.js';

function toLogLine(row: OperationLog): LogLine {
  return {
    id: String(row.id),
    at: iso(row.at)!,
    operationId: row.operation_id,
    level: row.level,
    step: row.step,
    stream: row.stream,
    message: row.message,
  };
}

/**
 * A deployment's log (step messages and hook output), oldest first, after the line `after`
 * (exclusive; "0" from the start). `id` is an instance id (all its operations) or an operation id.
 * `tail` returns the last lines instead of the first after `after`.
 */
export async function readLogs(
  db: Db,
  id: string,
  options: { after?: string | undefined; limit?: string | number | undefined; tail?: boolean } = {},
): Promise<LogPage> {
  const found = await resolveDeployment(db, id);
  const limit = parseLimit(options.limit, 200, 5000);
  const after = /^\d+$/.test(options.after ?? '') ? options.after! : '0';
  let q = db.selectFrom('operation_logs').selectAll().where('id', '>', after);
  q = found.operation
    ? q.where('operation_id', '=', found.operation.id)
    : q.where('instance_id', '=', found.instance!.id);
  const rows = options.tail
    ? (await q.orderBy('id', 'desc').limit(limit).execute()).reverse()
    : await q.orderBy('id').limit(limit).execute();
  const scope = found.operation ? [found.operation] : found.operations;
  const open = scope.some((o) => o.status === 'pending' || o.status === 'running');
  const last = rows.at(-1);
  return { lines: rows.map(toLogLine), next: last ? String(last.id) : after, open };
}
