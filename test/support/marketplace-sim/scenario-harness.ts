import { createInstanceRegistry } from '../../../src/simulator/marketplace/instances.js';
import { createLedger } from '../../../src/simulator/marketplace/ledger.js';
import { listen } from '../../../src/simulator/marketplace/listen.js';
import { createMarketplaceClient } from '../../../src/simulator/marketplace/marketplace-client.js';
import { createOperationRegistry } from '../../../src/simulator/marketplace/operations.js';
import { createOrderBook } from '../../../src/simulator/marketplace/orders.js';
import { createMarketplaceScenario } from '../../../src/simulator/marketplace/scenario.js';
import {
  parseConfig,
  type SimConfig,
  type SimConfigInput,
} from '../../../src/simulator/marketplace/sim-config.js';
import { createManualClock } from '../fakes/manual-clock.js';
import { createProductionEndpoint } from './production-endpoint.js';
import { createVirtualTimer } from './virtual-timer.js';

export const harnessKey = 'scenario-test-key-0001';

/**
 * A marketplace scenario over virtual time against the in-test production endpoint (real HTTP).
 * The endpoint and the marketplace share the fake clock, as if their clocks agreed.
 */
export async function createScenarioHarness(
  options: { config?: SimConfigInput; provisioningMs?: number } = {},
) {
  const clock = createManualClock({ start: new Date('2026-05-01T00:00:00Z') });
  const timer = createVirtualTimer(clock);
  const endpoint = createProductionEndpoint({
    keys: [harnessKey],
    clock,
    provisioningMs: options.provisioningMs,
  });
  const server = await listen(endpoint.app);
  let config: SimConfig = parseConfig({
    productionUrl: `${server.url}/koogallery`,
    key: harnessKey,
    ...options.config,
  });
  let n = 0;
  const sim = createMarketplaceScenario({
    clock,
    timer,
    client: createMarketplaceClient({ clock, timeoutMs: () => config.knobs.timeoutMs }),
    orders: createOrderBook({ clock }),
    instances: createInstanceRegistry(),
    ledger: createLedger(),
    operations: createOperationRegistry(clock),
    config: () => config,
    businessId: () => `biz-${String(++n).padStart(4, '0')}`,
  });
  return {
    clock,
    timer,
    endpoint,
    sim,
    setConfig(next: SimConfigInput) {
      config = parseConfig({ ...config, ...next });
    },
    async close() {
      timer.close();
      endpoint.releaseHangs();
      await server.close();
    },
  };
}

export type ScenarioHarness = Awaited<ReturnType<typeof createScenarioHarness>>;
