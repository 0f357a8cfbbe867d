import type { Server as HttpsServer } from 'node:https';
import { hostname } from 'node:os';
import path from 'node:path';
import { type CliIo, exitCodes } from '../platform/cli-io.js';
import { systemClock } from '../platform/clock.js';
import type { Config } from '../platform/config.js';
import { readOrCreateSecretFile } from '../platform/data-dir.js';
import type { Logger } from '../platform/logger.js';
import { packageVersion } from '../platform/package-info.js';
import {
  certificateWarnDays,
  leafCertificate,
  readTlsOptions,
  type TlsFiles,
  type TlsOptions,
} from '../platform/tls.js';
import { loadProductCatalog } from '../products/catalog.js';
import { type Adapters, realAdapters } from './adapters.js';
import { composeService, type Service, type ServiceOptions } from './compose-service.js';
import { type Listener, listen } from './listener.js';
import { openRuntime, type Runtime, type RuntimeOptions } from './runtime.js';
import { type SimulatedOptions, simulatedAdapters } from './simulated.js';
import { startTracing, type Tracing } from './tracing.js';

/** `kgd serve` running: its address, and how to stop it gracefully. */
export interface RunningService {
  url: string;
  /** The operators' listener (KGD_ADMIN_PORT), when they have their own. */
  adminUrl: string | undefined;
  runtime: Runtime;
  service: Service;
  /** The embedded simulator's endpoint, when no cloud credentials are configured. */
  simulatorUrl: string | undefined;
  /** SIGHUP: re-reads KGD_TLS_CERT/KGD_TLS_KEY; open connections keep their session. */
  reloadTls(): void;
  /** Connections the public listener holds open now (accepted and not yet closed or shed). */
  openConnections(): Promise<number>;
  stop(): Promise<void>;
}

/** Reads the pair and logs when its certificate expires; throws a SetupError when it is unusable. */
function loadTls(files: TlsFiles, logger: Logger): TlsOptions {
  const options = readTlsOptions(files);
  const cert = leafCertificate(options.cert, files.certFile);
  const daysLeft = Math.floor((Date.parse(cert.validTo) - Date.now()) / 86_400_000);
  logger[daysLeft < certificateWarnDays ? 'warn' : 'info'](
    { certFile: files.certFile, subject: cert.subject, expires: cert.validTo, daysLeft },
    'TLS certificate loaded',
  );
  return options;
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

const appVersion = (config: Config) => config.appVersion ?? packageVersion;

/**
 * `kgd serve`: the marketplace gateway, the deployment engine and the operator surfaces on one
 * port, or the operator surfaces on a second one (KGD_ADMIN_HOST/PORT). Without cloud credentials it embeds the cloud and marketplace simulator (its state lives
 * in memory: run `kgd simulator` separately for one that outlives restarts).
 */
export async function startService(
  env: Record<string, string | undefined>,
  options: RuntimeOptions &
    Pick<ServiceOptions, 'onLeaseRevoked'> & {
      /** The embedded simulator's overrides (tests: an EIP pool of their own). */
      simulated?: SimulatedOptions;
    } = {},
): Promise<RunningService> {
  const { onLeaseRevoked, simulated, ...runtimeOptions } = options;
  const runtime = await openRuntime(env, { applicationName: 'kgd-serve', ...runtimeOptions });
  const { config, logger } = runtime;
  let tracing: Tracing | undefined;
  try {
    tracing = await startTracing(config, {
      logger,
      scrubber: runtime.scrubber,
      serviceVersion: appVersion(config),
    });
  } catch (err) {
    await runtime.close();
    throw err;
  }
  if (config.databaseUrl && !env.KGD_PUBLIC_URL) {
    logger.warn(
      { publicUrl: config.publicUrl },
      'DATABASE_URL is set but KGD_PUBLIC_URL is not: buyers are handed this replica’s own address; set the same KGD_PUBLIC_URL (the address the marketplace calls) on every replica',
    );
  }
  const clock = systemClock;
  let adapters: Adapters | undefined;
  let service: Service | undefined;
  const listeners: Listener[] = [];
  try {
    const tls = config.tls && loadTls(config.tls, logger);
    const catalog = loadProductCatalog(config.templatesDir);
    logger.info(
      { products: catalog.products.map((p) => `${p.name}@${p.version}`) },
      'product templates loaded',
    );
    adapters = config.cloud.ak
      ? realAdapters(config, { logger, clock })
      : await simulatedAdapters(
          config,
          {
            logger,
            clock,
            catalog,
            marketplaceKey: runtime.marketplaceKeys[0]!,
            scrubber: runtime.scrubber,
          },
          simulated,
        );
    service = await composeService(runtime, adapters, {
      clock,
      catalog,
      executorId: executorId(config),
      appVersion: appVersion(config),
      ...(onLeaseRevoked ? { onLeaseRevoked } : {}),
    });
    await service.start();
    const main = await listen({
      fetch: service.app.fetch,
      host: config.host,
      port: config.port,
      http: config.http,
      // KGD_TLS_CERT/KEY: HTTPS on the same port, TLS 1.2 at least (no load balancer in front).
      tls,
      // A V1 call carries everything in its query: Node's default 16 KB header limit would answer
      // a long one 431 before the gateway could answer 000002 (its limit is KGD_MAX_BODY_BYTES).
      maxHeaderSize: config.maxBodyBytes + 16 * 1024,
    });
    listeners.push(main);
    if (service.adminApp && config.admin) {
      listeners.push(
        await listen({
          fetch: service.adminApp.fetch,
          host: config.admin.host,
          port: config.admin.port,
          http: config.http,
        }),
      );
    }
    const url = main.url;
    const adminUrl = listeners[1]?.url;
    const sim = adapters.simulator;
    sim?.handle.marketplace?.configure({ productionUrl: `${url}${config.producePath}` });
    logger.info(
      {
        url,
        ...(adminUrl ? { adminUrl } : {}),
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
      adminUrl,
      runtime,
      service: running,
      simulatorUrl: sim?.endpoint,
      openConnections: () =>
        new Promise<number>((resolve, reject) =>
          main.server.getConnections((err, n) => (err ? reject(err) : resolve(n))),
        ),
      reloadTls() {
        if (!config.tls) {
          logger.info('SIGHUP: no KGD_TLS_CERT/KGD_TLS_KEY to reload');
          return;
        }
        try {
          // New handshakes use the new pair; established connections are not touched.
          (main.server as HttpsServer).setSecureContext(loadTls(config.tls, logger));
          logger.info('TLS certificate reloaded: new connections use it');
        } catch (err) {
          logger.error(
            { err: (err as Error).message },
            'TLS reload failed: still serving the previous certificate',
          );
        }
      },
      stop() {
        stopping ??= (async () => {
          logger.info('shutting down: finishing in-flight answers');
          running.drain();
          await Promise.all(listeners.map((l) => l.close(config.shutdownGraceMs)));
          await running.stop();
          await opened.close();
          await runtime.close();
          await tracing?.stop();
          logger.info('stopped');
        })();
        return stopping;
      },
    };
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close(0)));
    await service?.stop().catch(() => {});
    await adapters?.close().catch(() => {});
    await runtime.close();
    await tracing?.stop();
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
    const onHangup = () => running.reloadTls();
    const onSignal = (signal: NodeJS.Signals) => {
      running.runtime.logger.info({ signal }, 'signal received');
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      process.off('SIGHUP', onHangup);
      running.stop().then(resolve, resolve);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    process.on('SIGHUP', onHangup);
  });
}
