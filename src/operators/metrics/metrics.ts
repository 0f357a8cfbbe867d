import { sql } from 'kysely';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Db } from '../../platform/db/database.js';

/**
 * The service's Prometheus metrics, on a registry the composition root creates (no global
 * default registry). Event counters are fed by hooks (`onAnswered`, `onStep`, `onAlert`) and by
 * the cloud and SSH decorators; state gauges (operations by kind and status, queue depth,
 * deployments by status) are read from the database at each scrape, so every replica reports
 * the same truth.
 *
 * @example
 *   const metrics = createMetrics({ registry: new Registry(), db });
 *   const gateway = { ...deps, onAnswered: metrics.onAnswered };
 *   const cloud = meterCloud(fromHuaweiSdk(...), metrics);
 */
export function createMetrics(deps: { registry: Registry; db: Db }) {
  const registers = [deps.registry];
  const { db } = deps;
  const countInstances = async (gauge: Gauge<'status'>, test: boolean) => {
    const rows = await db
      .selectFrom('instances')
      .select(['status', sql<string>`count(*)`.as('n')])
      .where('test', '=', test)
      .groupBy('status')
      .execute();
    gauge.reset();
    for (const r of rows) gauge.set({ status: r.status }, Number(r.n));
  };
  const calls = new Counter({
    name: 'kgd_marketplace_calls_total',
    help: 'Marketplace calls answered, by protocol, activity and result code',
    labelNames: ['protocol', 'activity', 'result_code'],
    registers,
  });
  // Debug calls and the marketplace's probes (testFlag=1, spec §11), apart from buyers' calls.
  const testCalls = new Counter({
    name: 'kgd_marketplace_test_calls_total',
    help: 'Marketplace debug calls and probes (testFlag=1) answered, by protocol, activity and result code; not in kgd_marketplace_calls_total',
    labelNames: ['protocol', 'activity', 'result_code'],
    registers,
  });
  const answerSeconds = new Histogram({
    name: 'kgd_marketplace_answer_seconds',
    help: 'Time to answer a marketplace call (the marketplace waits 5 s)',
    labelNames: ['protocol', 'activity'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 4, 5],
    registers,
  });
  const steps = new Counter({
    name: 'kgd_step_attempts_total',
    help: 'Deployment step attempts by operation kind, step and result (failed attempts of retryable steps are retried)',
    labelNames: ['kind', 'step', 'result'],
    registers,
  });
  const stepSeconds = new Histogram({
    name: 'kgd_step_duration_seconds',
    help: 'Duration of deployment step attempts',
    labelNames: ['kind', 'step'],
    buckets: [0.05, 0.25, 1, 5, 15, 30, 60, 120, 300, 600, 1800],
    registers,
  });
  const cloudCalls = new Counter({
    name: 'kgd_cloud_calls_total',
    help: 'Cloud API calls by operation and result code (ok, or the cloud error code after retries)',
    labelNames: ['operation', 'code'],
    registers,
  });
  const cloudSeconds = new Histogram({
    name: 'kgd_cloud_call_seconds',
    help: 'Cloud API call duration, retries included',
    labelNames: ['operation'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  const sshSeconds = new Histogram({
    name: 'kgd_ssh_seconds',
    help: 'SSH work by action (wait, connect, exec, upload, download) and result',
    labelNames: ['action', 'result'],
    buckets: [0.05, 0.25, 1, 5, 15, 30, 60, 180, 600],
    registers,
  });
  const alerts = new Counter({
    name: 'kgd_deadline_alerts_total',
    help: 'Deployments not ready in time (raised once each, well before the marketplace cancels the order)',
    registers,
  });
  const alertsOpened = new Counter({
    name: 'kgd_alerts_total',
    help: 'Alerts opened, by kind (docs/alerts.md); a condition that stays or flaps opens one',
    labelNames: ['kind'],
    registers,
  });
  new Gauge({
    name: 'kgd_alerts_open',
    help: 'Alerts firing or clearing now, by kind and severity',
    labelNames: ['kind', 'severity'],
    registers,
    async collect() {
      const rows = await db
        .selectFrom('alerts')
        .select(['kind', 'severity', sql<string>`count(*)`.as('n')])
        .where('state', '<>', 'resolved')
        .groupBy(['kind', 'severity'])
        .execute();
      this.reset();
      for (const r of rows) this.set({ kind: r.kind, severity: r.severity }, Number(r.n));
    },
  });
  new Gauge({
    name: 'kgd_alert_notices',
    help: 'Alert notices not delivered: pending (being retried) or failed (given up), by channel',
    labelNames: ['channel', 'state'],
    registers,
    async collect() {
      const rows = await db
        .selectFrom('alert_deliveries')
        .select([
          'channel',
          sql<string>`CASE WHEN gave_up_at IS NULL THEN 'pending' ELSE 'failed' END`.as('state'),
          sql<string>`count(*)`.as('n'),
        ])
        .where('delivered_at', 'is', null)
        .groupBy(['channel', 'state'])
        .execute();
      this.reset();
      for (const r of rows) this.set({ channel: r.channel, state: r.state }, Number(r.n));
    },
  });

  new Gauge({
    name: 'kgd_operations',
    help: 'Operations by kind and status',
    labelNames: ['kind', 'status'],
    registers,
    async collect() {
      const rows = await db
        .selectFrom('operations')
        .select(['kind', 'status', sql<string>`count(*)`.as('n')])
        .groupBy(['kind', 'status'])
        .execute();
      this.reset();
      for (const r of rows) this.set({ kind: r.kind, status: r.status }, Number(r.n));
    },
  });
  new Gauge({
    name: 'kgd_operator_reruns',
    help: 'Reruns and cleanup retries operators started (from the audit log), by action',
    labelNames: ['action'],
    registers,
    async collect() {
      const rows = await db
        .selectFrom('audit_log')
        .select(['action', sql<string>`count(*)`.as('n')])
        .where('action', 'in', ['deployment.rerun', 'deployment.retry-cleanup'])
        .where('result', '=', 'ok')
        .groupBy('action')
        .execute();
      this.set({ action: 'deployment.rerun' }, 0);
      this.set({ action: 'deployment.retry-cleanup' }, 0);
      for (const r of rows) this.set({ action: r.action }, Number(r.n));
    },
  });
  new Gauge({
    name: 'kgd_queue_depth',
    help: 'Operations waiting (pending) or running',
    labelNames: ['status'],
    registers,
    async collect() {
      const rows = await db
        .selectFrom('operations')
        .select(['status', sql<string>`count(*)`.as('n')])
        .where('status', 'in', ['pending', 'running'])
        .groupBy('status')
        .execute();
      this.set({ status: 'pending' }, 0);
      this.set({ status: 'running' }, 0);
      for (const r of rows) this.set({ status: r.status }, Number(r.n));
    },
  });
  new Gauge({
    name: 'kgd_deployments',
    help: "Buyers' deployments (instances) by status; test orders are in kgd_test_deployments",
    labelNames: ['status'],
    registers,
    async collect() {
      await countInstances(this, false);
    },
  });
  new Gauge({
    name: 'kgd_test_deployments',
    help: 'Seller-console test orders and probes (testFlag=1) by status',
    labelNames: ['status'],
    registers,
    async collect() {
      await countInstances(this, true);
    },
  });

  return {
    registry: deps.registry,
    onAnswered(e: {
      protocol: string;
      activity: string;
      resultCode: string;
      durationMs: number;
      test: boolean;
    }) {
      const labels = { protocol: e.protocol, activity: e.activity, result_code: e.resultCode };
      (e.test ? testCalls : calls).inc(labels);
      answerSeconds.observe({ protocol: e.protocol, activity: e.activity }, e.durationMs / 1000);
    },
    onStep(e: { kind: string; step: string; durationMs: number; ok: boolean }) {
      steps.inc({ kind: e.kind, step: e.step, result: e.ok ? 'ok' : 'error' });
      stepSeconds.observe({ kind: e.kind, step: e.step }, e.durationMs / 1000);
    },
    onAlert(kind: string) {
      alertsOpened.inc({ kind });
      if (kind === 'deployment-late') alerts.inc();
    },
    cloudCall(operation: string, code: string, durationMs: number) {
      cloudCalls.inc({ operation, code });
      cloudSeconds.observe({ operation }, durationMs / 1000);
    },
    ssh(action: string, ok: boolean, durationMs: number) {
      sshSeconds.observe({ action, result: ok ? 'ok' : 'error' }, durationMs / 1000);
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
