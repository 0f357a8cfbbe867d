import { hostname } from 'node:os';
import path from 'node:path';
import { serve } from '@hono/node-server';
import { Registry } from 'prom-client';
import { raiseDeadlineAlerts } from '../deployments/alerts.js';
import { createCloudRate } from '../deployments/cloud-rate.js';
import { createEngine } from '../deployments/engine.js';
import { createJournal } from '../deployments/journal.js';
import { createOperatorActions } from '../deployments/operator-actions.js';
import { createReaper } from '../deployments/reaper.js';
import { openWorkflowControl } from '../deployments/workflow-control.js';
import { createLicenseIssuer } from '../licenses/license-store.js';
import { loadOrCreateSigningKey } from '../licenses/signing-key.js';
import { purgeReplayGuard } from '../marketplace/gateway/inbox.js';
import type { GatewayDeps } from '../marketplace/handlers/context.js';
import { createOrderQueryClient } from '../marketplace/order-query-client.js';
import { createChangeFeed } from '../operators/dashboard/change-feed.js';
import { meterCloud } from '../operators/metrics/metered-cloud.js';
import { meterRemote } from '../operators/metrics/metered-remote.js';
import { createMetrics } from '../operators/metrics/metrics.js';
import { systemClock } from '../platform/clock.js';
import type { Config } from '../platform/config.js';
import { readOrCreateSecretFile } from '../platform/data-dir.js';
import { launchDurableEngine } from '../platform/durable.js';
import { createIds } from '../platform/ids.js';
import { createTokenBucket } from '../platform/rate-limiter.js';
import { loadProductCatalog } from '../products/catalog.js';
import { fromSsh2 } from '../remote/from-ssh2.js';
import { openCloud } from '../simulator/cloud/open-cloud.js';
import { createSimulatedHosts } from '../simulator/hosts/create-simulated-hosts.js';
import { createApp } from './http.js';
import { openRuntime, type Runtime, type RuntimeOptions } from './runtime.js';

/**
 * The composition root: the only module that reads the environment and builds real adapters.
 * Everything below it receives what it needs as arguments.
 */
export interface Service {
  url: string;
  runtime: Runtime;
  /** The embedded cloud simulator's endpoint, when no cloud credentials are configured. */
  simulatorUrl: string | undefined;
  stop(): Promise<void>;
}

function executorId(config: Config): string {
  return (
    config.executorId ??
    readOrCreateSecretFile(
      path.join(config.dataDir, 'executor.id'),
      () =>
        `${hostname()
          .replace(/[^A-Za-z0-9_.-]/g, '-')
          .slice(0, 40)}-${process.pid.toString(36)}`,
    )
  );
}

const appVersion = (config: Config) =>
  config.appVersion ?? process.env.npm_package_version ?? '0.1.0';

/**
 * `kgd serve`: the marketplace gateway, the deployment engine and the operator surfaces on one
 * port. Without cloud credentials it embeds the cloud and marketplace simulator (its state lives
 * in memory: run `kgd simulator` separately for one that outlives restarts).
 */
export async function startService(
  env: Record<string, string | undefined>,
  options: RuntimeOptions = {},
): Promise<Service> {
  const runtime = await openRuntime(env, { applicationName: 'kgd-serve', ...options });
  const { config, logger, database, scrubber } = runtime;
  if (config.databaseUrl && !env.KGD_PUBLIC_URL) {
    logger.warn(
      { publicUrl: config.publicUrl },
      'DATABASE_URL is set but KGD_PUBLIC_URL is not: buyers are handed this replica’s own address; set the same KGD_PUBLIC_URL (the address the marketplace calls) on every replica',
    );
  }

  const clock = systemClock;
  const ids = createIds(clock);
  const closers: Array<() => Promise<void>> = [];
  try {
    const catalog = loadProductCatalog(config.templatesDir);
    logger.info(
      { products: catalog.products.map((p) => `${p.name}@${p.version}`) },
      'product templates loaded',
    );

    const embedded = !config.cloud.ak;
    const isRoot = process.getuid?.() === 0;
    const hosts =
      embedded && isRoot
        ? createSimulatedHosts({
            dataDir: path.join(config.dataDir, 'simulator'),
            logger: logger.child({ component: 'sim-hosts' }),
            ...(config.simulator.sshPort ? { sshPort: config.simulator.sshPort } : {}),
          })
        : undefined;
    if (hosts) closers.push(() => hosts.close());
    if (embedded && !isRoot) {
      logger.warn(
        'the built-in simulator runs its servers in Linux namespaces, which needs root: deploys will fail at SSH; run as root or configure a cloud',
      );
    }
    const opened = await openCloud(
      {
        ak: config.cloud.ak,
        sk: config.cloud.sk,
        projectId: config.cloud.projectId,
        region: config.cloud.region,
        endpoint: config.cloud.endpoint,
        ...(config.cloud.enterpriseProjectId
          ? { enterpriseProjectId: config.cloud.enterpriseProjectId }
          : {}),
        imageIds: config.cloud.imageIds,
        ...(config.cloud.sharedNetwork ? { sharedNetwork: config.cloud.sharedNetwork } : {}),
        timeoutMs: config.cloud.timeoutMs,
        ...(config.cloud.pollIntervalMs ? { pollIntervalMs: config.cloud.pollIntervalMs } : {}),
      },

      {
        logger: logger.child({ component: 'cloud' }),
        ...(hosts ? { hosts } : {}),
        simulator: {
          port: config.simulator.port,
          timeScale: config.simulator.timeScale,
          marketplace: {
            logger: logger.child({ component: 'sim-marketplace' }),
            config: { key: runtime.marketplaceKeys[0] },
          },
        },
      },
    );
    closers.unshift(() => opened.close());
    const sim = opened.simulator;
    scrubber.add(opened.settings.sk);
    if (sim) {
      for (const p of catalog.products.filter((x) => x.kind === 'image')) {
        for (const imageId of Object.values(p.compute.images)) {
          sim.registerImage({
            id: imageId,
            name: `${p.name} (private image)`,
            filesDir: path.join(p.dir, 'image'),
          });
        }
      }
      sim.marketplace?.configure({ sellerCredentials: [{ ak: sim.ak, sk: sim.sk }] });
    }
    const orderQuery = createOrderQueryClient({
      baseUrl: sim ? sim.endpoint : config.marketplaceApiUrl,
      ak: sim ? sim.ak : config.cloud.ak!,
      sk: sim ? sim.sk : config.cloud.sk!,
      clock,
      timeoutMs: config.orderApiTimeoutMs,
    });

    const signingKey = await loadOrCreateSigningKey({
      db: database.db,
      secretBox: runtime.secretBox,
      clock,
    });
    const licenses = createLicenseIssuer({ key: signingKey, clock, ids });
    const metrics = createMetrics({ registry: new Registry(), db: database.db });
    const cloud = meterCloud(opened.cloud, metrics);
    const engine = createEngine(
      {
        db: database.db,
        clock,
        ids,
        logger: logger.child({ component: 'engine' }),
        secretBox: runtime.secretBox,
        scrubber,
        cloud,
        remote: meterRemote(fromSsh2({ logger }), metrics),
        onStep: metrics.onStep,
        catalog,
        licenses,
        orderQuery,
        region: opened.settings.region,
        workDir: path.join(config.dataDir, 'work'),
        scale: 1,
        journal: createJournal({
          db: database.db,
          logger: logger.child({ component: 'deployments' }),
          scrubber,
          now: () => clock.now(),
        }),
        deployAllTestOrders: config.deployTestOrders,
        ...(config.cloud.pollIntervalMs ? { pollIntervalMs: config.cloud.pollIntervalMs } : {}),

        createRate: createCloudRate(database.db, 'ecs.createServers', {
          limit: config.cloud.createRatePerMinute,
          windowMs: 60_000,
        }),
        pollLimiter: createTokenBucket({
          ratePerSecond: config.cloud.pollRatePerSecond,
          burst: config.cloud.pollRatePerSecond,
        }),
      },
      { concurrency: config.engineConcurrency, sweepIntervalMs: 5000, queuePollMs: 100 },
    );
    const execId = executorId(config);
    const durable = await launchDurableEngine({
      databaseUrl: database.url,
      logger,
      executorId: execId,
      appVersion: appVersion(config),
    });
    closers.unshift(() => durable.shutdown());
    await engine.start();
    closers.unshift(() => engine.stop());
    const reaper = createReaper({
      db: database.db,
      databaseUrl: database.url,
      executorId: execId,
      appVersion: appVersion(config),
      clock,
      logger: logger.child({ component: 'reaper' }),
      heartbeatMs: Math.max(500, config.replicaTimeoutMs / 6),
      deadAfterMs: config.replicaTimeoutMs,
    });
    await reaper.start();
    closers.unshift(() => reaper.stop());
    const workflows = await openWorkflowControl(database.url, logger);
    closers.unshift(() => workflows.close());
    const operatorActions = createOperatorActions({ db: database.db, clock, ids, workflows });
    const feed = createChangeFeed({
      db: database.db,
      logger: logger.child({ component: 'dashboard' }),
    });
    let engineReady = true;

    const gateway: GatewayDeps = {
      db: database.db,
      clock,
      ids,
      logger: logger.child({ component: 'gateway' }),
      secretBox: runtime.secretBox,
      keys: runtime.marketplaceKeys,
      encryptType: config.encryptType,
      publicUrl: config.publicUrl,
      producePath: config.producePath,
      v1MaxSkewMs: config.v1MaxSkewMs,
      v2MaxSkewMs: config.v2MaxSkewMs,
      answerDeadlineMs: config.answerDeadlineMs,
      maxBodyBytes: config.maxBodyBytes,
      licenses,
      dispatcher: engine.dispatcher,
      onAnswered: metrics.onAnswered,
      accessUser: (productId, skuCode) => catalog.resolve(productId, skuCode)?.product.access.user,
    };
    const app = createApp({
      gateway,
      engineReady: () => engineReady,
      operators: {
        db: database.db,
        clock,
        logger: logger.child({ component: 'operators' }),
        engine: operatorActions,
        steps: operatorActions.operationSteps,
        cloud,
        replay: {
          secretBox: runtime.secretBox,
          keys: runtime.marketplaceKeys,
          producePath: config.producePath,
        },
        wake: (instanceId) => engine.dispatcher.wake(instanceId),
        feed,
        metrics: metrics.registry,
      },
    });
    const maintenance = setInterval(() => {
      const now = clock.now();
      purgeReplayGuard(database.db, now).catch((err: Error) =>
        logger.warn({ err: err.message }, 'replay guard purge failed'),
      );
      raiseDeadlineAlerts({
        db: database.db,
        clock,
        logger,
        alertAfterMs: config.deployAlertMs,
        onAlert: () => metrics.onAlert(),
      }).catch((err: Error) => logger.warn({ err: err.message }, 'deadline alerts failed'));
    }, 60_000);
    maintenance.unref();

    const server = serve({
      fetch: app.fetch,
      port: config.port,
      hostname: config.host,
      // A V1 call carries everything in its query: Node's default 16 KB header limit would answer
      // a long one 431 before the gateway could answer 000002 (its limit is KGD_MAX_BODY_BYTES).
      serverOptions: { maxHeaderSize: config.maxBodyBytes + 16 * 1024 },
    });

    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
    sim?.marketplace?.configure({ productionUrl: `${url}${config.producePath}` });
    logger.info(
      {
        url,
        producePath: config.producePath,
        publicUrl: config.publicUrl,
        simulator: sim?.endpoint,
      },
      'kgd serving',
    );

    let stopping: Promise<void> | undefined;
    return {
      url,
      runtime,
      simulatorUrl: sim?.endpoint,
      stop() {
        stopping ??= (async () => {
          logger.info('shutting down: finishing in-flight answers');
          engineReady = false;
          clearInterval(maintenance);
          // Ends the dashboard's live streams, which would otherwise hold the server open.
          feed.close();
          await new Promise<void>((resolve) => {
            const force = setTimeout(() => {
              (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
              resolve();
            }, config.shutdownGraceMs);
            server.close(() => {
              clearTimeout(force);
              resolve();
            });
            (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
          });
          for (const close of closers)
            await close().catch((err: Error) =>
              logger.warn({ err: err.message }, 'shutdown step failed'),
            );
          await runtime.close();
          logger.info('stopped');
        })();
        return stopping;
      },
    };
  } catch (err) {
    for (const close of closers) await close().catch(() => {});
    await runtime.close();
    throw err;
  }
}
