import { createFakeOrders } from '../support/fakes/orders.js';
import { describeOrderSourceContract } from './order-source.contract.js';

const day = 86_400_000;

describeOrderSourceContract('the in-memory fake', async () => {
  const orders = createFakeOrders();
  let n = 0;
  return {
    orders,
    async place(spec) {
      const orderId = `CS26112308000${String(++n).padStart(4, '0')}`;
      const orderLineId = `${orderId}-000001`;
      const days = (spec.periodType === 'year' ? 365 : 30) * spec.periodNumber;
      const expireTime = new Date(Date.parse('2026-11-23T08:00:00Z') + days * day);
      orders.orders.set(orderId, {
        orderId,
        orderType: 'NEW',
        buyerInfo: { ...spec.buyer },
        extendParams: structuredClone(spec.extendParams),
        orderLine: [
          {
            orderLineId,
            chargingMode: 'PERIOD',
            periodType: spec.periodType,
            periodNumber: spec.periodNumber,
            expireTime,
            productInfo: [{ productId: spec.productId, skuCode: spec.skuCode }],
          },
        ],
      });
      return { orderId, orderLineId, expireTime };
    },
    close: async () => {},
  };
});
