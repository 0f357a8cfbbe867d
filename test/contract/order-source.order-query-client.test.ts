import { Hono } from 'hono';
import { createOrderQueryClient } from '../../src/marketplace/order-query-client.js';
import { listen } from '../../src/simulator/marketplace/listen.js';
import { registerOrderQueryApi } from '../../src/simulator/marketplace/order-query-api.js';
import { createOrderBook } from '../../src/simulator/marketplace/orders.js';
import { createManualClock } from '../support/fakes/manual-clock.js';
import { describeOrderSourceContract } from './order-source.contract.js';

const AK = 'SELLERAK0000CONTRACT';
const SK = 'seller-secret-key-contract-0001';

describeOrderSourceContract('createOrderQueryClient over the simulated order API', async () => {
  // One clock signs and verifies; whole seconds, as the API's yyyyMMddHHmmss times are.
  const clock = createManualClock({ start: new Date('2026-11-23T08:00:00Z'), auto: true });
  const book = createOrderBook({ clock });
  const app = new Hono();
  registerOrderQueryApi(app, {
    clock,
    findOrder: (id) => book.get(id),
    sellerCredentials: () => [{ ak: AK, sk: SK }],
  });
  const server = await listen(app);
  return {
    orders: createOrderQueryClient({ baseUrl: server.url, ak: AK, sk: SK, clock, timeoutMs: 5000 }),
    async place(spec) {
      const order = book.createPurchase(spec);
      const line = order.orderLine[0]!;
      return {
        orderId: order.orderId,
        orderLineId: line.orderLineId,
        expireTime: line.expireTime!,
      };
    },
    close: () => server.close(),
  };
});
