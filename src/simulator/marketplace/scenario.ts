import { createInstanceOperations } from './instance-operations.js';
import { createPurchaseOperations } from './purchase-operations.js';
import { createScenarioCore, type ScenarioDeps } from './scenario-core.js';

export {
  NotFoundError,
  type ScenarioDeps,
  type Started,
} from './scenario-core.js';

/**
 * The scriptable marketplace: buys, renews, expires, freezes, releases and upgrades instances at
 * a seller's production endpoint as KooGallery would — signed calls, resends on the spec §7
 * cadence, concurrent duplicates, clock skew, V2 polling — over an injected clock and timer, so a
 * test runs hours of cadence instantly. Operations run in the background; starting the next one
 * before the previous is done is how reordering is scripted (renewal before ready, release
 * during installation). The ledger records every call and answer.
 *
 * @example
 *   const sim = createMarketplaceScenario({ clock, timer, client, orders, instances, ledger,
 *     operations, config: () => config });
 *   const { operation, instance } = sim.buy({ productId: 'p1', skuCode: 's1' });
 *   await operation.done; // accepted (and, for V2, polled until ready)
 *   await sim.release(instance!.instanceId!).operation.done;
 */
export function createMarketplaceScenario(deps: ScenarioDeps) {
  const core = createScenarioCore(deps);
  return {
    ...createPurchaseOperations(core),
    ...createInstanceOperations(core),
    instances: deps.instances,
    orders: deps.orders,
    ledger: deps.ledger,
    operations: deps.operations,
    licenseEvents: core.licenseEvents,
  };
}

export type MarketplaceScenario = ReturnType<typeof createMarketplaceScenario>;
