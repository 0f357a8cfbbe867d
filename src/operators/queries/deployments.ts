import { type SelectQueryBuilder, sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { Database, Instance, InstanceStatus, Operation } from '../../platform/db/schema.js';
import { ActionError } from '../../platform/errors.js';
import {
  type DeploymentList,
  type DeploymentSummary,
  InstanceStatusSchema,
  instanceStatuses,
} from '../model.js';
import { iso, parseLimit, parseSince } from './filters.js';

/** What `kgd deployments list`, `GET /admin/deployments` and the dashboard filter on. */
export interface DeploymentFilters {
  /** One status or several, comma-separated. */
  status?: string | undefined;
  /** Product template name or marketplace productId. */
  product?: string | undefined;
  /** Customer id, or part of the customer's name. */
  customer?: string | undefined;
  /** ISO date/time or a duration back from now (24h, 7d). */
  since?: string | undefined;
  limit?: string | number | undefined;
}

function statusesOf(value: string | undefined): InstanceStatus[] | undefined {
  if (!value) return undefined;
  const list = value.split(',').map((s) => s.trim());
  for (const s of list) {
    if (!InstanceStatusSchema.safeParse(s).success)
      throw new ActionError(
        'INVALID_REQUEST',
        `status: ${s} is not one of ${instanceStatuses.join(', ')}`,
      );
  }
  return list as InstanceStatus[];
}

function applyFilters<O>(
  q: SelectQueryBuilder<Database, 'instances', O>,
  f: DeploymentFilters,
  now: Date,
): SelectQueryBuilder<Database, 'instances', O> {
  let out = q;
  if (f.product) {
    const p = f.product;
    out = out.where((eb) => eb.or([eb('product_name', '=', p), eb('product_id', '=', p)]));
  }
  if (f.customer) {
    const c = f.customer;
    out = out.where((eb) =>
      eb.or([
        eb('customer_id', '=', c),
        eb('customer_name', 'ilike', `%${c.replace(/[\\%_]/g, (m) => `\\${m}`)}%`),
      ]),
    );
  }
  if (f.since) out = out.where('created_at', '>=', parseSince(f.since, now));
  return out;
}

export function toSummary(inst: Instance, latest: Operation | undefined): DeploymentSummary {
  return {
    id: inst.id,
    status: inst.status,
    statusDetail: inst.status_detail,
    product: inst.product_name ?? inst.product_id,
    sku: inst.sku_code,
    customerId: inst.customer_id,
    customerName: inst.customer_name,
    orderId: inst.order_id,
    test: inst.test,
    serverId: inst.server_id,
    eip: inst.eip,
    flavor: inst.flavor,
    az: inst.az,
    createdAt: iso(inst.created_at)!,
    updatedAt: iso(inst.updated_at)!,
    readyAt: iso(inst.ready_at),
    releasedAt: iso(inst.released_at),
    latestOperation: latest
      ? {
          id: latest.id,
          kind: latest.kind,
          status: latest.status,
          failedStep: latest.failed_step,
          attempts: latest.attempts,
          overrides: latest.overrides ?? {},
        }
      : null,
  };
}

/** The latest operation of each instance (by arrival order). */
async function latestOperations(db: Db, ids: string[]): Promise<Map<string, Operation>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('operations')
    .selectAll()
    .where('instance_id', 'in', ids)
    .distinctOn('instance_id')
    .orderBy('instance_id')
    .orderBy('seq', 'desc')
    .execute();
  return new Map(rows.map((r) => [r.instance_id!, r]));
}

/** Deployments (newest first) matching the filters, with counts per status. */
export async function listDeployments(
  db: Db,
  filters: DeploymentFilters,
  now: Date,
): Promise<DeploymentList> {
  const statuses = statusesOf(filters.status);
  const limit = parseLimit(filters.limit, 50);
  let items = applyFilters(db.selectFrom('instances').selectAll(), filters, now);
  if (statuses) items = items.where('status', 'in', statuses);
  const rows = await items
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  const countRows = await applyFilters(db.selectFrom('instances'), filters, now)
    .select(['status', sql<string>`count(*)`.as('n')])
    .groupBy('status')
    .execute();
  const counts: Record<string, number> = {};
  for (const r of countRows) counts[r.status] = Number(r.n);
  const latest = await latestOperations(
    db,
    rows.map((r) => r.id),
  );
  return {
    items: rows.map((r) => toSummary(r, latest.get(r.id))),
    counts,
    total: Object.values(counts).reduce((a, b) => a + b, 0),
  };
}

/**
 * Resolves what an operator typed: an instance id (kgi-...) or an operation id (op_...).
 * Returns the instance and its operations (arrival order); NotFound names the id otherwise.
 */
export async function resolveDeployment(
  db: Db,
  id: string,
): Promise<{ instance: Instance | undefined; operations: Operation[]; operation?: Operation }> {
  const trimmed = id.trim();
  const inst = await db
    .selectFrom('instances')
    .selectAll()
    .where('id', '=', trimmed)
    .executeTakeFirst();
  if (inst) {
    const operations = await db
      .selectFrom('operations')
      .selectAll()
      .where('instance_id', '=', inst.id)
      .orderBy('seq')
      .execute();
    return { instance: inst, operations };
  }
  const op = await db
    .selectFrom('operations')
    .selectAll()
    .where('id', '=', trimmed)
    .executeTakeFirst();
  if (!op) throw new ActionError('NOT_FOUND', `no deployment or operation ${trimmed}`);
  if (!op.instance_id) return { instance: undefined, operations: [op], operation: op };
  const instance = await db
    .selectFrom('instances')
    .selectAll()
    .where('id', '=', op.instance_id)
    .executeTakeFirst();
  const operations = await db
    .selectFrom('operations')
    .selectAll()
    .where('instance_id', '=', op.instance_id)
    .orderBy('seq')
    .execute();
  return { instance, operations, operation: op };
}

/**
 * The operation an action on `id` means: the operation itself for an op id; for an instance id,
 * the latest one `prefer` accepts, else the latest (so the refusal names its real state).
 */
export async function pickOperation(
  db: Db,
  id: string,
  prefer: (op: Operation) => boolean,
): Promise<Operation> {
  const found = await resolveDeployment(db, id);
  if (found.operation) return found.operation;
  const ops = [...found.operations].reverse();
  const chosen = ops.find(prefer) ?? ops[0];
  if (!chosen) throw new ActionError('NOT_FOUND', `deployment ${id} has no operation yet`);
  return chosen;
}
