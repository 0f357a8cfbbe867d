import type { MarketplaceOrder, OrderSource } from '../../../src/deployments/ports.js';
import { Permanent } from '../../../src/platform/errors.js';

export interface FakeOrders extends OrderSource {
  orders: Map<string, MarketplaceOrder>;
  /** Order ids asked for, in order. */
  queried: string[];
}

/** The marketplace's order API in memory: an unknown order is refused (Permanent). */
export function createFakeOrders(orders: MarketplaceOrder[] = []): FakeOrders {
  const byId = new Map(orders.map((o) => [o.orderId, o]));
  const queried: string[] = [];
  return {
    orders: byId,
    queried,
    async queryOrder(orderId) {
      queried.push(orderId);
      const order = byId.get(orderId);
      if (!order)
        throw new Permanent(`order ${orderId} does not exist (fake)`, { code: 'CBC.9001' });
      return structuredClone(order);
    },
  };
}
