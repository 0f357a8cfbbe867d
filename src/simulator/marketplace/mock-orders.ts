import type { ChargingMode, Order, OrderType, ProductInfo } from './order-types.js';
import { addPeriod, type PeriodType } from './time-format.js';

/**
 * The debug orders the real order query API serves to every seller (spec §6), so a seller can
 * test the console's debug calls: one per order scenario, each with the line `<id>-000001`.
 */
const mocks: Array<{
  id: string;
  type: OrderType;
  mode: ChargingMode;
  period?: [PeriodType, number];
  amount: number;
}> = [
  { id: 'MOCKPERIODYEARNEW', type: 'NEW', mode: 'PERIOD', period: ['year', 1], amount: 1200 },
  { id: 'MOCKONETIMENEW', type: 'NEW', mode: 'ONE_TIME', amount: 500 },
  { id: 'MOCKONDEMAND', type: 'NEW', mode: 'ON_DEMAND', amount: 0 },
  { id: 'MOCKONDEMANDPKG', type: 'NEW', mode: 'ON_DEMAND_PKG', amount: 300 },
  { id: 'MOCKPERIODDAYTRIAL', type: 'TRIAL', mode: 'PERIOD', period: ['day', 7], amount: 0 },
  {
    id: 'MOCKMONTYTRIALTOFORMAL',
    type: 'TRIAL_TO_FORMAL',
    mode: 'PERIOD',
    period: ['month', 1],
    amount: 100,
  },
  {
    id: 'MOCKMONTYUNSUBSCRIBE',
    type: 'UNSUBSCRIBE',
    mode: 'PERIOD',
    period: ['month', 1],
    amount: -100,
  },
  { id: 'MOCKMONTYRENEW', type: 'RENEW', mode: 'PERIOD', period: ['month', 1], amount: 100 },
  { id: 'MOCKMONTYCHANGE', type: 'CHANGE', mode: 'PERIOD', period: ['month', 1], amount: 50 },
];

export const mockOrderIds = mocks.map((m) => m.id);

export function createMockOrders(now: Date, product: ProductInfo): Order[] {
  return mocks.map((m) => ({
    orderId: m.id,
    orderType: m.type,
    createTime: now,
    mock: true,
    buyerInfo: {
      customerId: 'MOCKCUSTOMER0001',
      customerName: 'mock-customer',
      userId: 'MOCKUSER0001',
      userName: 'mock-user',
      mobilePhone: '13800000000',
      email: 'mock-buyer@example.com',
    },
    extendParams: [{ name: 'emailDomainName', value: 'mock.example.com' }],
    orderLine: [
      {
        orderLineId: `${m.id}-000001`,
        chargingMode: m.mode,
        periodType: m.period?.[0],
        periodNumber: m.period?.[1],
        expireTime: m.period ? addPeriod(now, m.period[0], m.period[1]) : undefined,
        productInfo: [{ ...product }],
        orderAmount: m.amount,
        currency: 'CNY',
      },
    ],
  }));
}
