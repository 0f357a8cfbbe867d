import path from 'node:path';
import type { Hono } from 'hono';
import { Registry } from 'prom-client';
import type { Alerting } from '../alerts/alerting.js';
import { createEngine, type Engine } from '../deployments/engine/engine.js';
import { createLease, type LeaseRevoked } from '../deployments/engine/lease.js';
import { createReaper } from '../deployments/engine/reaper.js';
import {
  createStrandedRecovery,
  dbosPendingOperations,
  requeueIfUnchanged,
} from '../deployments/engine/stranded.js';
import {
  openWorkflowControl,
  type WorkflowControl,
} from '../deployments/engine/workflow-control.js';
import { createJournal } from '../deployments/journal.js';
import { createDbPacer } from '../deployments/pacer.js';
import { createPackageSource } from '../deployments/package-archive.js';
import { createDeploySteps } from '../deployments/steps/index.js';
import { createDeploymentStore } from '../deployments/store.js';
import { createLicenseIssuer } from '../licenses/license-store.js';
import { loadOrCreateSigningKey } from '../licenses/signing-key.js';
import { purgeReplayGuard } from '../marketplace/gateway/inbox.js';
import type { GatewayDeps } from '../marketplace/handlers/context.js';
import { purgeSessions } from '../operators/auth/sessions.js';
import { createChangeFeed } from '../operators/dashboard/change-feed.js';
import { meterCloud } from '../operators/metrics/metered-cloud.js';
import { meterRemote } from '../operators/metrics/metered-remote.js';
import { createMetrics } from '../operators/metrics/metrics.js';
import type { OperatorSurfacesDeps } from '../operators/register.js';
import type { Clock } from '../platform/clock.js';
import { launchDurableEngine } from '../platform/durable.js';
import { createIds } from '../platform/ids.js';
import { runEvery } from '../platform/periodic.js';
import { pollDelays } from '../platform/poll.js';
import { createTokenBucket } from '../platform/rate-limiter.js';
import { type ProductCatalog, sellerVpcCidrs } from '../products/catalog.js';
import { skuChangeRefusal } from '../products/sku-changes.js';
import type { Adapters } from './adapters.js';
import { composeAlerting } from './compose-alerts.js';
import { createAdminApp, createApp, createPublicApp } from './http.js';
import type { Runtime } from './runtime.js';

export interface ServiceOptions {
  clock: Clock;
  catalog: ProductCatalog;
  /** Stable per replica: DBOS recovers a replica's workflows by it. */
  executorId: string;
  /** Pinned: workflows only recover on a process of the same version. */
  appVersion: string;
  /** How often pending operations are looked for and the DBOS queue polled (tests: faster). */
  engine?: { sweepIntervalMs?: number; queuePollMs?: number };
  /** Mount the admin API, dashboard and /metrics (default true). */
  operators?: boolean;
  /** How often notices are sent and, at most, conditions looked at (tests: faster). */
  alerts?: { tickMs?: number; evaluateEveryMs?: number };
  /**
   * Another replica took this one's work over (its lease was revoked): `kgd serve` exits, for its
   * supervisor to start it afresh. By default only logged; its steps never run again.
   */
  onLeaseRevoked?: (err: LeaseRevoked) => void;
}

/** The service, wired: its HTTP app, and the engine behind it once started. */
export interface Service {
  /** Everything, or with KGD_ADMIN_PORT only what the internet reaches. */
  app: Hono;
  /** The operator surfaces on their own listener (KGD_ADMIN_PORT), else undefined. */
  adminApp: Hono | undefined;
  engine: Engine;
  alerting: Alerting;
  runtime: Runtime;
  adapters: Adapters;
  /** Launches the durable engine, the queue, the reaper and the periodic maintenance. */
  start(): Promise<void>;
  /** Marks the service not ready and ends the dashboard's live streams (before the server closes). */
  drain(): void;
  /** Stops them (not the runtime or the adapters, which their opener closes). */
  stop(): Promise<void>;
  ready(): boolean;
}

/**
 * The composition root: the one place the service is wired. `kgd serve`, `kgd demo`, test
 * harnesses and benchmarks all build the service here, from a runtime (configuration, logger,
 * database, secrets) and adapters (real or simulated).
 *
 * @example
 *   const service = await composeService(runtime, await simulatedAdapters(config, deps), options);
 *   await service.start();
 *   serve({ fetch: service.app.fetch, port });
 */
export async function composeService(
  runtime: Runtime,
  adapters: Adapters,
  options: ServiceOptions,
): Promise<Service> {
  const { config, logger, database, scrubber, secrets } = runtime;
  const { clock, catalog } = options;
  const db = database.db;
  const ids = createIds(clock);
  const signingKey = await loadOrCreateSigningKey({ db, secretBox: runtime.secretBox, clock });
  const licenses = createLicenseIssuer({ db, key: signingKey, clock, ids });
  const metrics = createMetrics({ registry: new Registry(), db });
  const cloud = meterCloud(adapters.cloud, metrics);
  // The lease is the replica timeout; a replica silent that long has its work taken over a margin
  // later, by which time its own steps have stopped (engine/lease.ts).
  const lease = createLease({
    db,
    executorId: options.executorId,
    appVersion: options.appVersion,
    logger: logger.child({ component: 'lease' }),
    leaseMs: config.replicaTimeoutMs,
    onRevoked: (err) => options.onLeaseRevoked?.(err),
  });
  const store = createDeploymentStore({ db, clock, ids, secrets, lease });
  const journal = createJournal({
    db,
    logger: logger.child({ component: 'deployments' }),
    scrubber,
    clock,
  });
  const pollDelay = config.cloud.pollIntervalMs
    ? pollDelays.fixed(config.cloud.pollIntervalMs)
    : undefined;
  const steps = createDeploySteps({
    cloud,
    remote: meterRemote(adapters.remote, metrics),
    store,
    orders: adapters.orders,
    delivery: adapters.licenseDelivery,
    licenses,
    catalog,
    secrets,
    clock,
    packages: createPackageSource(path.join(config.dataDir, 'work')),
    fetch,
    buyerTargets: { deny: config.buyerTargetDeny ?? sellerVpcCidrs(catalog) },
    region: adapters.region,
    deployAllTestOrders: config.deployTestOrders,
    createPacer: createDbPacer({ db, clock }, 'ecs.createServers', {
      limit: config.cloud.createRatePerMinute,
      windowMs: 60_000,
    }),
    pollLimiter: createTokenBucket({
      clock,
      ratePerSecond: config.cloud.pollRatePerSecond,
      burst: config.cloud.pollRatePerSecond,
    }),
    pollDelay,
  });
  const engine = createEngine(
    {
      db,
      ids,
      clock,
      logger: logger.child({ component: 'engine' }),
      store,
      journal,
      steps,
      pollDelay,
      observe: metrics.onStep,
      lease,
    },
    {
      concurrency: config.engineConcurrency,
      sweepIntervalMs: options.engine?.sweepIntervalMs ?? 5000,
      queuePollMs: options.engine?.queuePollMs ?? 100,
      stopGraceMs: config.shutdownGraceMs,
    },
  );
  const appVersion = options.appVersion;
  const heartbeatMs = Math.max(500, config.replicaTimeoutMs / 6);
  const reaper = createReaper({
    db,
    lease,
    clock,
    logger: logger.child({ component: 'reaper' }),
    heartbeatMs,
    leaseMs: config.replicaTimeoutMs,
    marginMs: Math.max(1000, config.replicaTimeoutMs / 3),
    stranded: createStrandedRecovery({
      executorId: lease.executorId,
      runsHere: engine.runsHere,
      logger: logger.child({ component: 'reaper' }),
      pending: dbosPendingOperations(lease.executorId),
      requeue: requeueIfUnchanged(db, lease.executorId),
    }),
  });
  // The workflow store operators read and rewind, opened at start; used only after.
  let control: WorkflowControl | undefined;
  const workflows = {
    listSteps: (id: string) => control!.listSteps(id),
    rewind: (id: string, o: Parameters<WorkflowControl['rewind']>[1]) => control!.rewind(id, o),
  };
  const feed = createChangeFeed({ db, logger: logger.child({ component: 'dashboard' }) });
  let running = false;

  const gateway = composeGateway(runtime, {
    clock,
    ids,
    licenses,
    dispatcher: engine.dispatcher,
    catalog,
    onAnswered: metrics.onAnswered,
  });

  const operators: OperatorSurfacesDeps | undefined =
    options.operators === false
      ? undefined
      : {
          db,
          clock,
          ids,
          secrets,
          logger: logger.child({ component: 'operators' }),
          workflows,
          cloud,
          replay: {
            secretBox: runtime.secretBox,
            keys: runtime.marketplaceKeys,
            producePath: config.producePath,
            // On a separate admin listener, replays still go through the public app's route.
            send: config.admin ? async (request) => app.fetch(request) : undefined,
          },
          wake: (instanceId) => engine.dispatcher.wake(instanceId),
          feed,
          metrics: metrics.registry,
          metricsPublic: config.surfaces.metricsPublic,
          sessions: {
            ...config.surfaces.sessions,
            secureCookies: config.publicUrl.startsWith('https:'),
          },
        };
  const appDeps = { gateway, engineReady: () => running, limits: config.surfaces };
  const app: Hono = config.admin
    ? createPublicApp(appDeps)
    : createApp({ ...appDeps, ...(operators ? { operators } : {}) });
  const adminApp =
    config.admin && operators ? createAdminApp({ ...appDeps, operators }) : undefined;

  const alerting = composeAlerting(runtime, {
    clock,
    ids,
    catalog,
    isLeader: () => reaper.isLeader(),
    quota: adapters.quota,
    onOpened: (kind) => metrics.onAlert(kind),
    tickMs: options.alerts?.tickMs,
    evaluateEveryMs: options.alerts?.evaluateEveryMs,
  });

  const stopMaintenance = new AbortController();
  const maintenance = () =>
    Promise.all([purgeReplayGuard(db, clock.now()), purgeSessions(db, clock.now())]);
  const closers: Array<() => Promise<void>> = [];

  const drain = () => {
    running = false;
    // Ends the dashboard's live streams, which would otherwise hold the server open.
    feed.close();
  };
  return {
    app,
    adminApp,
    engine,
    alerting,
    runtime,
    adapters,
    ready: () => running,
    async start() {
      // Before DBOS: it resumes this replica's unfinished workflows at launch, under this lease.
      await lease.acquire();
      // Renewed while the engine starts (DBOS launch, the queue probe), before the reaper renews it.
      const starting = new AbortController();
      const keepAlive = runEvery(clock, heartbeatMs, () => lease.renew(), {
        signal: starting.signal,
        onError: (err) => logger.warn({ err: (err as Error).message }, 'lease renewal failed'),
      });
      closers.unshift(async () => {
        starting.abort();
        await keepAlive;
      });
      const durable = await launchDurableEngine({
        databaseUrl: database.url,
        logger,
        executorId: options.executorId,
        appVersion,
      });
      closers.unshift(() => durable.shutdown());
      control = await openWorkflowControl(database.url, logger);
      closers.unshift(() => control!.close());
      await engine.start();
      closers.unshift(() => engine.stop());
      starting.abort();
      await keepAlive;
      await reaper.start();
      closers.unshift(() => reaper.stop());
      const loop = runEvery(clock, 60_000, maintenance, {
        signal: stopMaintenance.signal,
        onError: (err) => logger.warn({ err: (err as Error).message }, 'maintenance failed'),
      });
      closers.unshift(async () => {
        stopMaintenance.abort();
        await loop;
      });
      alerting.start();
      closers.unshift(() => alerting.stop());
      running = true;
    },
    drain,
    async stop() {
      drain();
      for (const close of closers.splice(0))
        await close().catch((err: Error) =>
          logger.warn({ err: err.message }, 'shutdown step failed'),
        );
    },
  };
}

/** The gateway's dependencies from the runtime's configuration: spelled out here only. */
export function composeGateway(
  runtime: Runtime,
  parts: Pick<GatewayDeps, 'clock' | 'ids' | 'licenses' | 'dispatcher' | 'onAnswered'> & {
    catalog?: ProductCatalog;
  },
): GatewayDeps {
  const { config } = runtime;
  const { catalog, ...rest } = parts;
  return {
    ...rest,
    db: runtime.database.db,
    logger: runtime.logger.child({ component: 'gateway' }),
    secretBox: runtime.secretBox,
    secrets: runtime.secrets,
    keys: runtime.marketplaceKeys,
    encryptType: config.encryptType,
    publicUrl: config.publicUrl,
    producePath: config.producePath,
    v1MaxSkewMs: config.v1MaxSkewMs,
    v2MaxSkewMs: config.v2MaxSkewMs,
    answerDeadlineMs: config.answerDeadlineMs,
    maxBodyBytes: config.maxBodyBytes,
    accessUser: (productId, skuCode) => catalog?.resolve(productId, skuCode)?.product.access.user,
    skuChange: (from, to) =>
      catalog ? skuChangeRefusal(catalog, from, to) : 'no product catalog is loaded',
    bindsDevice: (productId, skuCode) =>
      catalog?.resolve(productId, skuCode)?.product.license.bindToDevice ?? false,
    licenseCodeRules: (productId) =>
      catalog?.resolve(productId, null)?.product.marketplace.licenseCodes,
  };
}
