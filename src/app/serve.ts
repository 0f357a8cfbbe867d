import { hostname } from 'node:os';
import path from 'node:path';
import { serve } from '@hono/node-server';
import { type CliIo, exitCodes } from '../platform/cli-io.js';
import { systemClock } from '../platform/clock.js';
import type { Config } from '../platform/config.js';
import { readOrCreateSecretFile } from '../platform/data-dir.js';
import { loadProductCatalog } from '../products/catalog.js';
import { type Adapters, realAdapters } from './adapters.js';
import { composeService, type Service, type ServiceOptions } from './compose-service.js';
import { openRuntime, type Runtime, type RuntimeOptions } from './runtime.js';
import { simulatedAdapters } from './simulated.js';

/** `kgd serve` running: its address, and how to stop it gracefully. */
export interface RunningService {
  url: string;
  runtime: Runtime;
  service: Service;
  /** The embedded simulator's endpoint, when no cloud credentials are configured. */
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
  options: RuntimeOptions & Pick<ServiceOptions, 'onLeaseRevoked'> = {},
): Promise<RunningService> {
  const { onLeaseRevoked, ...runtimeOptions } = options;
  const runtime = await openRuntime(env, { applicationName: 'kgd-serve', ...runtimeOptions });
  const { config, logger } = runtime;
  if (config.databaseUrl && !env.KGD_PUBLIC_URL) {
    logger.warn(
      { publicUrl: config.publicUrl },
      'DATABASE_URL is set but KGD_PUBLIC_URL is not: buyers are handed this replica’s own address; set the same KGD_PUBLIC_URL (the address the marketplace calls) on every replica',
    );
  }
  const clock = systemClock;
  let adapters: Adapters | undefined;
  let service: Service | undefined;
  try {
    const catalog = loadProductCatalog(config.templatesDir);
    logger.info(
      { products: catalog.products.map((p) => `${p.name}@${p.version}`) },
      'product templates loaded',
    );
    adapters = config.cloud.ak
      ? realAdapters(config, { logger, clock })
      : await simulatedAdapters(config, {
          logger,
          clock,
          catalog,
          marketplaceKey: runtime.marketplaceKeys[0]!,
          scrubber: runtime.scrubber,
        });
    service = await composeService(runtime, adapters, {
      clock,
      catalog,
      executorId: executorId(config),
      appVersion: appVersion(config),
      ...(onLeaseRevoked ? { onLeaseRevoked } : {}),
    });
    await service.start();
    const server = serve({
      fetch: service.app.fetch,
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
    const sim = adapters.simulator;
    sim?.handle.marketplace?.configure({ productionUrl: `${url}${config.producePath}` });
    logger.info(
      {
        url,
        producePath: config.producePath,
        publicUrl: config.publicUrl,
        simulator: sim?.endpoint,
      },
      'kgd serving',
    );
    const running = service;
    const opened = adapters;
    let stopping: Promise<void> | undefined;
    return {
      url,
      runtime,
      service: running,
      simulatorUrl: sim?.endpoint,
      stop() {
        stopping ??= (async () => {
          logger.info('shutting down: finishing in-flight answers');
          running.drain();
          await new Promise<void>((resolve) => {
            const force = setTimeout(() => {
              (server as import('node:http').Server).closeAllConnections();
              resolve();
            }, config.shutdownGraceMs);
            server.close(() => {
              clearTimeout(force);
              resolve();
            });
            (server as import('node:http').Server).closeIdleConnections();
          });
          await running.stop();
          await opened.close();
          await runtime.close();
          logger.info('stopped');
        })();
        return stopping;
      },
    };
  } catch (err) {
    await service?.stop().catch(() => {});
    await adapters?.close().catch(() => {});
    await runtime.close();
    throw err;
  }
}

/** `kgd serve`: runs until SIGTERM or SIGINT, then shuts down gracefully. */
export async function runServe(io: CliIo): Promise<void> {
  const running = await startService(io.env, {
    // Fail-stop: another replica runs this one's work now. Nothing more is written (not even the
    // graceful shutdown's bookkeeping); the supervisor starts a fresh process under a new epoch.
    onLeaseRevoked: () => process.exit(exitCodes.leaseRevoked),
  });
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      running.runtime.logger.info({ signal }, 'signal received');
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      running.stop().then(resolve, resolve);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
