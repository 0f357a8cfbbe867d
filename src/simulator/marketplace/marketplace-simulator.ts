import { Hono } from 'hono';
import { type Clock, systemClock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import { registerControlApi } from './control-api.js';
import { createDebugProbe, type DebugProbe } from './debug-probe.js';
import { createInstanceRegistry } from './instances.js';
import { createLedger } from './ledger.js';
import { type LicenseCodeBook, registerLicenseCodeApi } from './license-code-api.js';
import {
  type LicenseUpload,
  registerLicenseUploadApi,
  type UploadFault,
} from './license-upload-api.js';
import { listen } from './listen.js';
import { createMarketplaceClient } from './marketplace-client.js';
import { createOperationRegistry } from './operations.js';
import { type OrderQueryRecord, registerOrderQueryApi } from './order-query-api.js';
import { createOrderBook } from './orders.js';
import { createMarketplaceScenario, type MarketplaceScenario } from './scenario.js';
import { parseConfig, patchConfig, type SimConfig, type SimConfigInput } from './sim-config.js';
import { createRealTimer, type Timer } from './timer.js';

export interface MarketplaceSimulatorDeps {
  clock?: Clock;
  /** Real (time-scaled by the timeScale knob) by default; tests pass a virtual timer. */
  timer?: Timer;
  logger?: Logger;
  config?: SimConfigInput;
  fetch?: typeof fetch;
}

export interface MarketplaceSimulator {
  scenario: MarketplaceScenario;
  /** Probing (spec §11): the saved debug cases, replayed round by round on the timer. */
  probe: DebugProbe;
  config(): SimConfig;
  configure(patch: unknown): SimConfig;
  orderQueries(): OrderQueryRecord[];
  /** Licenses the service uploaded (spec §7.2), in order: one per getLicenseAsync event. */
  licenseUploads(): LicenseUpload[];
  /** Scripts the upload API's next answers (5xx, the documented codes, no answer), in order. */
  failUploads(...faults: UploadFault[]): void;
  /** License codes 2.0 (spec §8): the book of codes, their APIs, the three activities. */
  licenseCodes: LicenseCodeBook;
  /** Stops pending resends and polls. */
  close(): void;
}

/**
 * Mounts the simulated KooGallery on a Hono app: the control API under `/sim/marketplace` and
 * the order query API at its real path, so the service under test can use the simulator's URL as
 * its marketplace API host.
 *
 * @example
 *   const app = new Hono();
 *   const marketplace = registerMarketplaceSimulator(app, { logger,
 *     config: { productionUrl: 'http://127.0.0.1:8080/koogallery', key } });
 */
export function registerMarketplaceSimulator(
  app: Hono,
  deps: MarketplaceSimulatorDeps = {},
): MarketplaceSimulator {
  const clock = deps.clock ?? systemClock;
  let config = parseConfig(deps.config ?? {});
  const timer = deps.timer ?? createRealTimer({ scale: () => config.knobs.timeScale });
  const orders = createOrderBook({ clock, mockProduct: config.mockProduct });
  let queries: OrderQueryRecord[] = [];
  const client = createMarketplaceClient({
    clock,
    fetch: deps.fetch,
    timeoutMs: () => config.knobs.timeoutMs,
  });
  const scenario = createMarketplaceScenario({
    clock,
    timer,
    client,
    orders,
    instances: createInstanceRegistry(),
    ledger: createLedger(),
    operations: createOperationRegistry(clock),
    config: () => config,
    logger: deps.logger,
  });
  const configure = (patch: unknown) => {
    const next = patchConfig(config, patch);
    if (
      next.mockProduct &&
      JSON.stringify(next.mockProduct) !== JSON.stringify(config.mockProduct)
    ) {
      orders.setMockProduct(next.mockProduct);
    }
    config = next;
    deps.logger?.info(
      { productionUrl: config.productionUrl, defaultProtocol: config.defaultProtocol },
      'marketplace simulator configured',
    );
    return config;
  };
  const probe = createDebugProbe({
    client,
    timer,
    onLicenseEvent: (eventId) => scenario.licenseEvents.add(eventId),
    settings() {
      if (!config.productionUrl || !config.key)
        throw new Error('probing needs productionUrl and key configured');
      return { productionUrl: config.productionUrl, key: config.key };
    },
  });
  const simulator: MarketplaceSimulator = {
    scenario,
    probe,
    config: () => config,
    configure,
    orderQueries: () => [...queries],
    licenseUploads: () => uploads.uploads(),
    failUploads: (...faults) => uploads.failNext(...faults),
    get licenseCodes() {
      return licenseCodes;
    },
    close: () => timer.close(),
  };
  registerOrderQueryApi(app, {
    clock,
    findOrder: (id) => orders.get(id),
    sellerCredentials: () => config.sellerCredentials,
    onQuery: (r) => queries.push(r),
  });
  const uploads = registerLicenseUploadApi(app, {
    clock,
    sellerCredentials: () => config.sellerCredentials,
    knownEvent: (eventId) => scenario.licenseEvents.has(eventId),
  });
  const licenseCodes = registerLicenseCodeApi(app, {
    clock,
    timer,
    client,
    sellerCredentials: () => config.sellerCredentials,
    target: () =>
      config.productionUrl && config.key
        ? { url: config.productionUrl, key: config.key }
        : undefined,
  });
  registerControlApi(app, {
    ...simulator,
    reset() {
      scenario.ledger.clear();
      uploads.clear();
      licenseCodes.clear();
      queries = [];
    },
    logger: deps.logger,
  });
  return simulator;
}

/** The marketplace simulator alone on its own port (for its tests and quick manual runs). */
export async function startMarketplaceSimulator(
  options: MarketplaceSimulatorDeps & { host?: string; port?: number } = {},
): Promise<Omit<MarketplaceSimulator, 'close'> & { url: string; close(): Promise<void> }> {
  const app = new Hono();
  const simulator = registerMarketplaceSimulator(app, options);
  const server = await listen(app, { host: options.host, port: options.port });
  return {
    ...simulator,
    url: server.url,
    async close() {
      simulator.close();
      await server.close();
    },
  };
}
