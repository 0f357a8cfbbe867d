import { sql } from 'kysely';
import type { AlertInput } from '../alerts/outbox.js';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/database.js';
import type { ProductCatalog } from '../products/catalog.js';
import { retryWindowEnds } from './model/retry-windows.js';

/**
 * The conditions behind the deployment alerts, read from the tables deployments owns. Each
 * returns what holds now; the caller reconciles that with the open alerts (a condition that no
 * longer holds is resolved after its hold-down). Test orders and probes never page.
 */
export interface DeploymentConditionDeps {
  db: Db;
  clock: Clock;
  /** A deployment not ready this long after its order is late (KGD_DEPLOY_ALERT_MINUTES). */
  alertAfterMs: number;
}

const minutes = (ms: number) => Math.round(ms / 60_000);

/** Not ready `alertAfterMs` after the order, well before the marketplace's retry window ends. */
export async function lateDeployments(deps: DeploymentConditionDeps): Promise<AlertInput[]> {
  const cutoff = new Date(deps.clock.now().getTime() - deps.alertAfterMs);
  const rows = await deps.db
    .selectFrom('instances')
    .select(['id', 'order_id', 'status', 'status_detail', 'created_at'])
    .where('status', 'in', ['pending', 'deploying'])
    .where('test', '=', false)
    .where('created_at', '<', cutoff)
    .execute();
  return rows.map((r) => {
    const ends = retryWindowEnds('purchase', new Date(r.created_at)).toISOString();
    return {
      kind: 'deployment-late',
      subject: r.id,
      summary: `deployment ${r.id} not ready after ${minutes(deps.alertAfterMs)} min (${r.status}); the marketplace cancels the order at ${ends}`,
      details: {
        instanceId: r.id,
        orderId: r.order_id,
        status: r.status,
        detail: r.status_detail,
        retryWindowEndsAt: ends,
      },
    };
  });
}

/** Deployments in `failed` or `cleanup_failed`: each its own kind. */
export async function failedDeployments(
  deps: Pick<DeploymentConditionDeps, 'db'>,
): Promise<AlertInput[]> {
  const rows = await deps.db
    .selectFrom('instances')
    .select(['id', 'order_id', 'status', 'status_detail', 'product_name'])
    .select((eb) =>
      eb
        .selectFrom('operations')
        .select('failed_step')
        .whereRef('operations.instance_id', '=', 'instances.id')
        .where('operations.status', 'in', ['failed', 'cleanup_failed'])
        .orderBy('seq', 'desc')
        .limit(1)
        .as('failed_step'),
    )
    .where('status', 'in', ['failed', 'cleanup_failed'])
    .where('test', '=', false)
    .execute();
  return rows.map((r) => {
    const cleanup = r.status === 'cleanup_failed';
    return {
      kind: cleanup ? 'cleanup-failed' : 'deployment-failed',
      subject: r.id,
      summary: cleanup
        ? `cleanup of deployment ${r.id} failed${r.failed_step ? ` at ${r.failed_step}` : ''}: ${r.status_detail ?? 'see its logs'}`
        : `deployment ${r.id} failed${r.failed_step ? ` at ${r.failed_step}` : ''}: ${r.status_detail ?? 'see its logs'}`,
      details: {
        instanceId: r.id,
        orderId: r.order_id,
        product: r.product_name,
        failedStep: r.failed_step,
        detail: r.status_detail,
      },
    };
  });
}

const licenseSteps = ['issue-license', 'install-license'];

/** Running operations whose latest journal line is a failed attempt of a license step. */
export async function failingLicenseUploads(
  deps: Pick<DeploymentConditionDeps, 'db'>,
): Promise<AlertInput[]> {
  const rows = await deps.db
    .selectFrom('operations as o')
    .innerJoinLateral(
      (eb) =>
        eb
          .selectFrom('operation_logs as l')
          .select(['l.step', 'l.level', 'l.message', 'l.at'])
          .whereRef('l.operation_id', '=', 'o.id')
          .where('l.step', 'is not', null)
          .orderBy('l.id', 'desc')
          .limit(1)
          .as('last'),
      (join) => join.onTrue(),
    )
    .select(['o.id', 'o.instance_id', 'o.kind', 'last.step', 'last.message'])
    .where('o.status', '=', 'running')
    .where('o.test', '=', false)
    .where('last.step', 'in', licenseSteps)
    .where('last.level', 'in', ['warn', 'error'])
    .execute();
  return rows
    .filter((r) => r.instance_id)
    .map((r) => ({
      kind: 'license-upload-failing',
      subject: r.instance_id!,
      summary: `installing the license of ${r.instance_id} keeps failing (${r.kind}): ${r.message}`,
      details: { instanceId: r.instance_id, operationId: r.id, step: r.step },
    }));
}

const probeWindowMs = 24 * 3_600_000;
/** Answers a debug call may get without failing: success, and "in progress" for a V2 purchase. */
const probeSuccess = ['000000', '000004'];

/**
 * Debug calls (testFlag=1, also KooGallery's twice-daily probes) of the last day whose latest
 * call of an activity was answered with a failure code: the marketplace freezes or delists a
 * product whose probes fail for five days.
 */
export async function failingProbes(
  deps: Pick<DeploymentConditionDeps, 'db' | 'clock'>,
): Promise<AlertInput[]> {
  const since = new Date(deps.clock.now().getTime() - probeWindowMs);
  const rows = await deps.db
    .selectFrom('inbox')
    .select(['activity', 'protocol', 'result_code', 'received_at', 'id'])
    .distinctOn('activity')
    .where('test', '=', true)
    .where('received_at', '>=', since)
    .where('activity', 'is not', null)
    .orderBy('activity')
    .orderBy('received_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows
    .filter((r) => !probeSuccess.includes(r.result_code))
    .map((r) => ({
      kind: 'probe-failing',
      subject: r.activity!,
      summary: `the marketplace's debug call ${r.activity} (${r.protocol}) was answered ${r.result_code}`,
      details: {
        activity: r.activity,
        protocol: r.protocol,
        resultCode: r.result_code,
        inboxId: r.id,
        at: new Date(r.received_at).toISOString(),
      },
    }));
}

const lostForgottenAfterMs = 24 * 3_600_000;

/** Replicas that stopped heartbeating without a clean stop, within the last day. */
export async function lostReplicas(
  deps: Pick<DeploymentConditionDeps, 'db' | 'clock'> & { deadAfterMs: number },
): Promise<AlertInput[]> {
  const now = deps.clock.now().getTime();
  const rows = await deps.db
    .selectFrom('executors')
    .select(['id', 'heartbeat_at', 'app_version'])
    .where('stopped_at', 'is', null)
    .where('heartbeat_at', '<', new Date(now - deps.deadAfterMs))
    .where('heartbeat_at', '>', new Date(now - lostForgottenAfterMs))
    .execute();
  return rows.map((r) => ({
    kind: 'replica-lost',
    subject: r.id,
    summary: `replica ${r.id} stopped heartbeating at ${new Date(r.heartbeat_at).toISOString()}`,
    details: {
      executorId: r.id,
      lastHeartbeat: new Date(r.heartbeat_at).toISOString(),
      appVersion: r.app_version,
    },
  }));
}

/** Server creations in the last minute against the account's quota (KGD_CLOUD_CREATE_RATE_PER_MINUTE). */
export async function createQuotaUse(
  deps: Pick<DeploymentConditionDeps, 'db'> & { limitPerMinute: number; threshold?: number },
): Promise<AlertInput[]> {
  const row = await deps.db
    .selectFrom('cloud_rate_slots')
    .select(sql<string>`count(*)`.as('n'))
    .where('api', '=', 'ecs.createServers')
    .where(sql<boolean>`at > clock_timestamp() - interval '60 seconds'`)
    .executeTakeFirstOrThrow();
  const used = Number(row.n);
  if (used < Math.ceil(deps.limitPerMinute * (deps.threshold ?? 0.9))) return [];
  return [
    {
      kind: 'cloud-quota-nearly-exhausted',
      subject: 'ecs.createServers',
      summary: `${used} of ${deps.limitPerMinute} server creations a minute used: new deployments wait for the quota`,
      details: { quota: 'ecs.createServers per minute', used, limit: deps.limitPerMinute },
    },
  ];
}

/**
 * Watches that every ready deployment still answers its buyer: the product's HTTP health check
 * against the server's EIP, once a round. Three failed rounds in a row raise the alert; one
 * success clears it. Products whose check is a command are not watched (it needs an SSH
 * session, which the service opens for deployments only).
 */
export function createAccessWatch(deps: {
  db: Db;
  catalog: ProductCatalog;
  fetch: typeof fetch;
  failuresBeforeAlert?: number;
  requestTimeoutMs?: number;
}) {
  const failures = new Map<string, { count: number; last: string }>();
  const threshold = deps.failuresBeforeAlert ?? 3;
  return async function buyerAccessLost(): Promise<AlertInput[]> {
    const rows = await deps.db
      .selectFrom('instances')
      .select(['id', 'eip', 'product_name', 'order_id'])
      .where('status', '=', 'ready')
      .where('frozen', '=', false)
      .where('test', '=', false)
      .where('eip', 'is not', null)
      .execute();
    const seen = new Set<string>();
    await Promise.all(
      rows.map(async (r) => {
        const health = r.product_name ? deps.catalog.byName(r.product_name)?.health : undefined;
        if (!health || !('http' in health)) return;
        seen.add(r.id);
        const url = `http://${r.eip}:${health.http.port}${health.http.path}`;
        const problem = await deps
          .fetch(url, { signal: AbortSignal.timeout(deps.requestTimeoutMs ?? 5000) })
          .then(
            async (res) => {
              await res.body?.cancel();
              return res.status === health.http.expectStatus
                ? undefined
                : `answered HTTP ${res.status}`;
            },
            (err: Error) => `no answer (${(err.cause as { code?: string })?.code ?? err.name})`,
          );
        if (problem === undefined) failures.delete(r.id);
        else failures.set(r.id, { count: (failures.get(r.id)?.count ?? 0) + 1, last: problem });
      }),
    );
    for (const id of failures.keys()) if (!seen.has(id)) failures.delete(id);
    const byId = new Map(rows.map((r) => [r.id, r]));
    return [...failures]
      .filter(([, f]) => f.count >= threshold)
      .map(([id, f]) => {
        const r = byId.get(id)!;
        return {
          kind: 'buyer-access-lost',
          subject: id,
          summary: `deployment ${id} stopped answering its buyer at ${r.eip}: ${f.last} (${f.count} checks in a row)`,
          details: { instanceId: id, orderId: r.order_id, eip: r.eip, product: r.product_name },
        };
      });
  };
}
