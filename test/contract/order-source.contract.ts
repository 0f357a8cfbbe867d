import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderSource } from '../../src/deployments/ports.js';
import { Permanent, Retryable } from '../../src/platform/errors.js';

/** A periodic purchase, as a buyer places it with the marketplace. */
interface PurchaseSpec {
  productId: string;
  skuCode: string;
  periodType: 'month' | 'year';
  periodNumber: number;
  buyer: { customerId: string; customerName: string };
  extendParams: Array<{ name: string; value: string }>;
}

/** One `OrderSource` ready for the suite, and the marketplace it reads. */
export interface OrdersUnderTest {
  orders: OrderSource;
  /** Places a purchase with the marketplace; the order API answers it from then on. */
  place(spec: PurchaseSpec): Promise<{ orderId: string; orderLineId: string; expireTime: Date }>;
  close(): Promise<void>;
}

/**
 * The `OrderSource` contract (deployments/ports.ts), run against the in-memory fake and
 * `createOrderQueryClient` over the simulator's order API: the order the engine reads (V2
 * notifications are thin), and a Permanent refusal for an order the marketplace does not know.
 *
 * @example
 *   describeOrderSourceContract('the fake', async () => { const orders = createFakeOrders(); ... });
 */
export function describeOrderSourceContract(
  name: string,
  makeOrders: () => Promise<OrdersUnderTest>,
): void {
  describe(`OrderSource contract: ${name}`, () => {
    let t: OrdersUnderTest;
    beforeAll(async () => {
      t = await makeOrders();
    });
    afterAll(() => t?.close());

    const purchase: PurchaseSpec = {
      productId: 'OFFI-DEMO-IMAGE',
      skuCode: 'sku-small',
      periodType: 'month',
      periodNumber: 1,
      buyer: { customerId: 'cust-o1', customerName: 'Acme Buyer' },
      extendParams: [{ name: 'domain', value: 'shop.example.com' }],
    };

    it('answers a known order: type, buyer, extension parameters, lines with product and expiry', async () => {
      const placed = await t.place(purchase);
      const order = await t.orders.queryOrder(placed.orderId);
      expect(order).toMatchObject({
        orderId: placed.orderId,
        orderType: 'NEW',
        buyerInfo: { customerId: 'cust-o1', customerName: 'Acme Buyer' },
        extendParams: [{ name: 'domain', value: 'shop.example.com' }],
      });
      expect(order.orderLine).toHaveLength(1);
      const [line] = order.orderLine;
      expect(line).toMatchObject({
        orderLineId: placed.orderLineId,
        chargingMode: 'PERIOD',
        periodType: 'month',
        periodNumber: 1,
        productInfo: [{ productId: 'OFFI-DEMO-IMAGE', skuCode: 'sku-small' }],
      });
      expect(line?.expireTime).toBeInstanceOf(Date);
      expect(line?.expireTime).toEqual(placed.expireTime);
    });

    it('answers the same order asked with its line, each answer a copy of its own', async () => {
      const placed = await t.place({
        ...purchase,
        periodType: 'year',
        skuCode: 'sku-large',
        extendParams: [],
      });
      const order = await t.orders.queryOrder(placed.orderId, placed.orderLineId);
      expect(order).toMatchObject({ orderId: placed.orderId, extendParams: [] });
      expect(order.orderLine.map((l) => [l.orderLineId, l.periodType, l.expireTime])).toEqual([
        [placed.orderLineId, 'year', placed.expireTime],
      ]);
      order.orderLine[0]!.productInfo[0]!.skuCode = 'changed by the caller';
      order.orderType = 'CHANGE';
      expect(await t.orders.queryOrder(placed.orderId)).toMatchObject({
        orderType: 'NEW',
        orderLine: [{ productInfo: [{ skuCode: 'sku-large' }] }],
      });
    });

    it('refuses an unknown order as Permanent, naming it', async () => {
      const err = await t.orders.queryOrder('CS0000000000NOPE0').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Permanent);
      expect(err).not.toBeInstanceOf(Retryable);
      expect((err as Error).message).toContain('CS0000000000NOPE0');
    });
  });
}
