import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { type Clock, systemClock } from '../platform/clock.js';
import { createSilentLogger, type Logger } from '../platform/logger.js';
import { createSimAccounts, type SimAccounts } from './accounts.js';
import { registerAccountControlRoutes } from './accounts-routes.js';
import { createCloudSimulatorApp } from './cloud/app.js';
import { createCatalog, type Quotas } from './cloud/catalog.js';
import type { SimContext } from './cloud/context.js';
import { createSimulatorFaults, type FaultSpec, type SimulatorFaults } from './cloud/control.js';
import { createEipPool } from './cloud/eip-pool.js';
import { createFaults } from './cloud/faults.js';
import { createHostsBridge } from './cloud/hosts-bridge.js';
import { type Inventory, inventory } from './cloud/inspection.js';
import { createLatency, type LatencyProfile } from './cloud/latency.js';
import { createRandom, randomUuid } from './cloud/random.js';
import { createRateLimiter, defaultRateLimits } from './cloud/rate-limit.js';
import { createRecordingHosts } from './cloud/recording-hosts.js';
import { createScheduler } from './cloud/scheduler.js';
import { codes, errorBody } from './cloud/sim-errors.js';
import { createCloudStore, resetStore } from './cloud/store.js';
import type { SimulatedHosts } from './hosts/simulated-hosts.js';
import { createIamRegistry, type Revocation } from './iam/registry.js';
import { registerIamRoutes } from './iam/routes.js';
import {
  type MarketplaceSimulator,
  type MarketplaceSimulatorDeps,
  registerMarketplaceSimulator,
} from './marketplace/marketplace-simulator.js';

/** Credentials the simulator accepts unless told otherwise (`KGD_SIM_AK`, `KGD_SIM_SK`, `KGD_SIM_PROJECT_ID`). */
export const simulatorDefaults = {
  ak: 'KGDSIMULATORAKEY0001',
  sk: 'kgd-simulator-secret-key-not-for-real-use',
  /** "kgd-simulator" in hex, padded to the 32 hex digits of a project id. */
  projectId: '6b67642d73696d756c61746f72000001',
  region: 'cn-north-4',
  eipPool: '127.20.0.0/16',
  /** The seller's account: what a buyer's agency trusts (by name). */
  domainName: 'kgd-seller',
  domainId: '6b67642d73656c6c6572000000000001',
} as const;

export interface SimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  ak?: string;
  sk?: string;
  projectId?: string;
  region?: string;
  /** Multiplies every simulated duration: 1 realistic, 0.01 fast tests, 0 immediate. Default 1. */
  timeScale?: number;
  latency?: Partial<LatencyProfile>;
  /** The simulated machines; a recording fake when absent. The caller closes what it passes. */
  hosts?: SimulatedHosts;
  eipPool?: string;
  rateLimits?: Record<string, number>;
  faults?: FaultSpec;
  quotas?: Partial<Quotas>;
  /** Drives lifecycles, quotas windows and rate limits; tests pass a fake one and move it. */
  clock?: Clock;
  /**
   * What request signatures' X-Sdk-Date is checked against (15 minutes either way). The SDK
   * signs with the machine's clock, so this stays the system clock when `clock` is fake.
   */
  authClock?: Clock;
  logger?: Logger;
  /**
   * When deleting an agency (or a grant) reaches temporary keys already issued: `immediate`
   * (default) or `at-expiry`.
   */
  agencyRevocation?: Revocation;
  /** Seeds latency jitter, fault rates and ids, for repeatable runs. */
  seed?: number;
  /**
   * Also serve the simulated KooGallery (control API under /sim/marketplace, the order query
   * API) on the same port, as `kgd simulator` does. Off unless given.
   */
  marketplace?: MarketplaceSimulatorDeps;
  /** Told of every cloud API call as it arrives, by its name (`ecs.showJob`, ...). */
  onCall?: (api: string) => void;
}

export interface SimulatorHandle {
  /** The one URL for ECS, VPC v2 and VPC v3: give it to the SDK as its endpoint. */
  endpoint: string;
  ak: string;
  sk: string;
  projectId: string;
  region: string;
  /** The seller's account (domain) id and name. */
  domainId: string;
  domainName: string;
  azs: string[];
  /** Other accounts (buyers): create them, act as them in IAM, inspect their projects. */
  accounts: SimAccounts;
  faults: SimulatorFaults;
  hosts: SimulatedHosts;
  /** The simulated marketplace, when `marketplace` was given. */
  marketplace: MarketplaceSimulator | undefined;
  /** Every resource, and the orphans given the instance ids still alive. */
  inspect(liveInstanceIds?: Iterable<string>): Inventory;
  registerImage(image: { id: string; name: string; filesDir?: string; minDiskGb?: number }): void;
  registerKeypair(name: string, publicKey: string): void;
  /** Runs the transitions due by the clock now (tests on a fake clock call it after moving time). */
  tick(): void;
  /** Resolves once every simulated-host call made so far has finished. */
  settled(): Promise<void>;
  /** Deletes every resource (machines destroyed), clears faults and counters. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the simulated Huawei Cloud on 127.0.0.1: serves the real SDK (signatures checked),
 * with lifecycles, quotas, faults and inspection. Embeddable in tests and in the service.
 *
 * @example
 *   const sim = await startSimulator({ timeScale: 0.01 });
 *   const cloud = fromHuaweiSdk({ settings: parseHuaweiCloudSettings({ region: sim.region,
 *     projectId: sim.projectId, ak: sim.ak, sk: sim.sk, endpoint: sim.endpoint }), logger,
 *     clock: systemClock });
 *   // ...
 *   await sim.stop();
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createSilentLogger();
  const random = createRandom(options.seed);
  const catalog = createCatalog(options.region ?? simulatorDefaults.region);
  const store = createCloudStore(catalog, options.quotas);
  const latency = createLatency({
    timeScale: options.timeScale ?? 1,
    random,
    profile: options.latency,
  });
  const faults = createFaults(random);
  const ownHosts = options.hosts === undefined;
  const hosts = options.hosts ?? createRecordingHosts();
  const scheduler = createScheduler(clock, (err) =>
    logger.error({ err: (err as Error)?.message }, 'simulator transition failed'),
  );
  const iam = createIamRegistry({
    clock,
    ...(options.agencyRevocation ? { revocation: options.agencyRevocation } : {}),
  });
  const credentials = {
    ak: options.ak ?? simulatorDefaults.ak,
    sk: options.sk ?? simulatorDefaults.sk,
    projectId: options.projectId ?? simulatorDefaults.projectId,
  };
  iam.addDomain({
    id: simulatorDefaults.domainId,
    name: simulatorDefaults.domainName,
    regions: [catalog.region],
    key: { ak: credentials.ak, sk: credentials.sk },
    projectIds: { [catalog.region]: credentials.projectId },
  });
  const ctx: SimContext = {
    store,
    clock,
    authClock: options.authClock ?? systemClock,
    scheduler,
    latency,
    faults,
    rateLimits: createRateLimiter(clock, options.rateLimits ?? defaultRateLimits),
    hosts: createHostsBridge({ hosts, store, latency, faults, clock, logger }),
    eipPool: createEipPool(options.eipPool ?? simulatorDefaults.eipPool),
    random,
    uuid: options.seed === undefined ? randomUUID : () => randomUuid(random),
    logger,
    credentials,
    iam,
    stats: new Map(),
    onCall: options.onCall,
    holds: new Set(),
  };
  const control = createSimulatorFaults(ctx);
  const accounts = createSimAccounts({
    iam,
    base: ctx,
    hosts,
    sellerDomainId: simulatorDefaults.domainId,
    images: () => catalog.images,
  });
  if (options.faults) control.apply(options.faults);

  const registerImage: SimulatorHandle['registerImage'] = (image) => {
    catalog.images.set(image.id, {
      id: image.id,
      name: image.name,
      minDiskGb: image.minDiskGb ?? 40,
      visibility: 'private',
      ...(image.filesDir ? { filesDir: image.filesDir } : {}),
    });
  };
  const registerKeypair = (name: string, publicKey: string) => {
    store.keypairs.set(name, publicKey);
  };
  const reset = async () => {
    scheduler.clear();
    for (const server of store.servers.values()) ctx.hosts.destroy(server);
    await ctx.hosts.settled();
    await accounts.reset();
    resetStore(store, options.quotas);
    ctx.eipPool.reset();
    ctx.stats.clear();
    control.clear();
    if (options.faults) control.apply(options.faults);
  };

  const cloudApp = createCloudSimulatorApp(ctx, {
    faults: control,
    reset,
    registerImage,
    registerKeypair,
  });
  // One port for everything: the marketplace's paths (/sim/marketplace, /api/...) and the
  // cloud's (/v1, /v1.1, /v2.0, /v3, /sim/...) do not overlap.
  const app = new Hono();
  const marketplace = options.marketplace
    ? registerMarketplaceSimulator(app, { logger, ...options.marketplace })
    : undefined;
  registerIamRoutes(app, { iam, clock, authClock: ctx.authClock });
  registerAccountControlRoutes(app, accounts);
  // Another account's project is served by its own cloud (store, quotas); the seller's by cloudApp.
  app.use('*', async (c, next) => {
    const projectId = /^\/v[0-9.]+\/([^/]+)\//.exec(c.req.path)?.[1];
    const other = projectId ? accounts.appFor(projectId) : undefined;
    if (other) return other.fetch(c.req.raw, c.env);
    return next();
  });
  app.route('/', cloudApp);
  app.notFound((c) =>
    c.json(
      errorBody(
        'gateway',
        codes.gatewayNoApi,
        'The API does not exist or has not been published in the environment',
        '',
      ),
      404,
    ),
  );
  const host = options.host ?? '127.0.0.1';
  const server = serve({ fetch: app.fetch, port: options.port ?? 0, hostname: host }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info(
    { endpoint, region: catalog.region, timeScale: latency.timeScale },
    'cloud simulator listening',
  );

  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    ak: ctx.credentials.ak,
    sk: ctx.credentials.sk,
    projectId: ctx.credentials.projectId,
    region: catalog.region,
    domainId: simulatorDefaults.domainId,
    domainName: simulatorDefaults.domainName,
    accounts,
    azs: [...catalog.azs],
    faults: control,
    hosts,
    marketplace,
    inspect: (live) => {
      scheduler.advance();
      return inventory(ctx, live);
    },
    registerImage,
    registerKeypair,
    tick: () => scheduler.advance(),
    settled: () => ctx.hosts.settled(),
    reset,
    stop() {
      stopping ??= (async () => {
        scheduler.stop();
        marketplace?.close();
        for (const release of [...ctx.holds]) release();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await ctx.hosts.settled();
        if (ownHosts) await hosts.close();
      })();
      return stopping;
    },
  };
}
