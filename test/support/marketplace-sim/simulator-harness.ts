import { type Listening, listen } from '../../../src/simulator/marketplace/listen.js';
import { startMarketplaceSimulator } from '../../../src/simulator/marketplace/marketplace-simulator.js';
import { createManualClock } from '../fakes/manual-clock.js';
import { createProductionEndpoint, type ProductionEndpoint } from './production-endpoint.js';
import { createVirtualTimer } from './virtual-timer.js';

export const simKey = 'control-test-key-0001';

/**
 * The standalone marketplace simulator (real HTTP, virtual time) in front of the in-test
 * production endpoint, configured with its URL and Key.
 */
export async function createSimulatorHarness(options: { provisioningMs?: number } = {}) {
  const clock = createManualClock({ start: new Date() });
  const timer = createVirtualTimer(clock);
  const endpoint: ProductionEndpoint = createProductionEndpoint({
    keys: [simKey],
    clock,
    provisioningMs: options.provisioningMs,
  });
  const production: Listening = await listen(endpoint.app);
  const sim = await startMarketplaceSimulator({
    clock,
    timer,
    config: { productionUrl: `${production.url}/koogallery`, key: simKey },
  });
  return {
    clock,
    endpoint,
    sim,
    productionUrl: `${production.url}/koogallery`,
    api: async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${sim.url}/sim/marketplace${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body:
          body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      // biome-ignore lint/suspicious/noExplicitAny: test helper reading arbitrary JSON answers
      return { status: res.status, body: (await res.json()) as any };
    },
    async close() {
      await sim.close();
      endpoint.releaseHangs();
      await production.close();
    },
  };
}

export type SimulatorHarness = Awaited<ReturnType<typeof createSimulatorHarness>>;
