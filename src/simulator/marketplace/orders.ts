import { randomInt } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../../platform/clock.js';
import { parseInput } from './input-error.js';
import { createMockOrders } from './mock-orders.js';
import { addPeriod, type PeriodType } from './time-format.js';

/**
 * The marketplace's order book: what buyers bought, renewed, changed and unsubscribed. The seller
 * reads these through the order query API (spec §6), so it must hold exactly what the
 * notifications refer to: order ids `CS` + yyMMddHHmm + 5 characters, lines `<orderId>-000001`.
 */

export type {
  ChargingMode,
  ExtendParam,
  Order,
  ProductInfo,
} from './order-types.js';

import type {
  BuyerInfo,
  ChargingMode,
  ExtendParam,
  Order,
  OrderLine,
  OrderType,
  ProductInfo,
} from './order-types.js';

const name64 = (what: string) => z.string(`expected ${what}`).min(1, `expected ${what}`).max(64);

const buyerSchema = z.object({
  customerId: name64('a customer id'),
  customerName: z.string().min(1).max(256),
  userId: name64('a user id'),
  userName: z.string().min(1).max(256),
  mobilePhone: z.string().max(32).optional(),
  email: z.email('expected an email address').optional(),
});

const extendParamsSchema = z
  .array(z.object({ name: z.string().min(1).max(64), value: z.string().max(1024) }))
  .max(3, 'at most 3 extension parameters (the marketplace allows 3)');

const purchaseSchema = z.object({
  productId: name64('a product id'),
  skuCode: name64('a sku code'),
  chargingMode: z.enum(['PERIOD', 'ONE_TIME', 'ON_DEMAND', 'ON_DEMAND_PKG']).default('PERIOD'),
  periodType: z.enum(['year', 'month', 'day', 'hour']).default('month'),
  periodNumber: z.int('expected a whole number of periods').min(1).max(120).default(1),
  trial: z.boolean().default(false),
  linearValue: z.number().positive().optional(),
  orderAmount: z.number().optional(),
  buyer: buyerSchema.partial().optional(),
  extendParams: extendParamsSchema.default([]),
});
export type PurchaseInput = z.input<typeof purchaseSchema>;

/** The terms an instance runs under now: what renewals and changes start from. */
export interface Terms {
  buyerInfo: BuyerInfo;
  extendParams: ExtendParam[];
  chargingMode: ChargingMode;
  productInfo: ProductInfo;
  periodType?: PeriodType;
  periodNumber?: number;
  expireTime?: Date;
  trial: boolean;
}

export interface OrderBook {
  createPurchase(input: PurchaseInput): Order;
  createRenewal(
    instanceId: string,
    terms: Terms,
    change: { periodType?: PeriodType; periodNumber?: number; trialToFormal?: boolean },
  ): Order;
  createChange(instanceId: string, terms: Terms, change: { productInfo: ProductInfo }): Order;
  createUnsubscribe(instanceId: string, terms: Terms): Order;
  get(orderId: string): Order | undefined;
  list(): Order[];
  cancel(orderId: string): void;
  /** The mock orders of spec §6 refer to this product (so a seller's catalogue knows it). */
  setMockProduct(product: ProductInfo): void;
}

export function termsOf(order: Order): Terms {
  const line = order.orderLine[0]!;
  return {
    buyerInfo: order.buyerInfo,
    extendParams: order.extendParams,
    chargingMode: line.chargingMode,
    productInfo: line.productInfo[0]!,
    periodType: line.periodType,
    periodNumber: line.periodNumber,
    expireTime: line.expireTime,
    trial: order.orderType === 'TRIAL',
  };
}

const suffixAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const randomSuffix = () =>
  Array.from({ length: 5 }, () => suffixAlphabet[randomInt(suffixAlphabet.length)]).join('');

/**
 * @example
 *   const book = createOrderBook({ clock });
 *   const order = book.createPurchase({ productId: 'OFFI0001', skuCode: 'sku-small' });
 *   order.orderLine[0].orderLineId; // `${order.orderId}-000001`
 */
export function createOrderBook(deps: {
  clock: Clock;
  suffix?: () => string;
  mockProduct?: ProductInfo;
}): OrderBook {
  const orders = new Map<string, Order>();
  const suffix = deps.suffix ?? randomSuffix;
  const install = (product: ProductInfo) => {
    for (const [id, o] of orders) if (o.mock) orders.delete(id);
    for (const o of createMockOrders(deps.clock.now(), product)) orders.set(o.orderId, o);
  };
  install(deps.mockProduct ?? { productId: 'MOCKPRODUCT', skuCode: 'MOCKSKU' });

  const newOrderId = () => {
    const at = deps.clock.now().toISOString();
    const stamp =
      at.slice(2, 4) + at.slice(5, 7) + at.slice(8, 10) + at.slice(11, 13) + at.slice(14, 16);
    for (;;) {
      const id = `CS${stamp}${suffix()}`;
      if (!orders.has(id)) return id;
    }
  };

  const record = (
    orderType: OrderType,
    terms: Terms,
    line: Omit<OrderLine, 'orderLineId' | 'currency'>,
    instanceId?: string,
  ): Order => {
    const orderId = newOrderId();
    const order: Order = {
      orderId,
      orderType,
      createTime: deps.clock.now(),
      buyerInfo: terms.buyerInfo,
      extendParams: terms.extendParams,
      orderLine: [{ ...line, orderLineId: `${orderId}-000001`, currency: 'CNY' }],
      instanceId,
    };
    orders.set(orderId, order);
    return order;
  };

  const defaultBuyer = (): BuyerInfo => {
    const tag = suffix().toLowerCase();
    return {
      customerId: `cust-${tag}`,
      customerName: `buyer-${tag}`,
      userId: `user-${tag}`,
      userName: `buyer-${tag}`,
      mobilePhone: `138${String(randomInt(1e8)).padStart(8, '0')}`,
      email: `buyer-${tag}@example.com`,
    };
  };

  return {
    createPurchase(input) {
      const p = parseInput(purchaseSchema, input);
      const periodic = p.chargingMode === 'PERIOD';
      const terms: Terms = {
        buyerInfo: { ...defaultBuyer(), ...p.buyer },
        extendParams: p.extendParams,
        chargingMode: p.chargingMode,
        productInfo: { productId: p.productId, skuCode: p.skuCode, linearValue: p.linearValue },
        trial: p.trial,
      };
      return record(p.trial ? 'TRIAL' : 'NEW', terms, {
        chargingMode: p.chargingMode,
        periodType: periodic ? p.periodType : undefined,
        periodNumber: periodic ? p.periodNumber : undefined,
        expireTime: periodic
          ? addPeriod(deps.clock.now(), p.periodType, p.periodNumber)
          : undefined,
        productInfo: [terms.productInfo],
        orderAmount: p.orderAmount ?? (p.trial ? 0 : 100 * p.periodNumber),
      });
    },
    createRenewal(instanceId, terms, change) {
      const periodType = change.periodType ?? terms.periodType ?? 'month';
      const periodNumber = change.periodNumber ?? terms.periodNumber ?? 1;
      const now = deps.clock.now();
      // A renewal extends from the current expiry, or from now if the instance already expired;
      // turning a trial into a formal order starts the paid period now.
      const base =
        change.trialToFormal || !terms.expireTime || terms.expireTime < now
          ? now
          : terms.expireTime;
      return record(
        change.trialToFormal ? 'TRIAL_TO_FORMAL' : 'RENEW',
        terms,
        {
          chargingMode: 'PERIOD',
          periodType,
          periodNumber,
          expireTime: addPeriod(base, periodType, periodNumber),
          productInfo: [terms.productInfo],
          orderAmount: 100 * periodNumber,
        },
        instanceId,
      );
    },
    createChange(instanceId, terms, change) {
      return record(
        'CHANGE',
        terms,
        {
          chargingMode: terms.chargingMode,
          periodType: terms.periodType,
          periodNumber: terms.periodNumber,
          expireTime: terms.expireTime,
          productInfo: [change.productInfo],
          orderAmount: 50,
        },
        instanceId,
      );
    },
    createUnsubscribe(instanceId, terms) {
      return record(
        'UNSUBSCRIBE',
        terms,
        {
          chargingMode: terms.chargingMode,
          periodType: terms.periodType,
          periodNumber: terms.periodNumber,
          expireTime: deps.clock.now(),
          productInfo: [terms.productInfo],
          orderAmount: -100,
        },
        instanceId,
      );
    },
    get: (orderId) => orders.get(orderId),
    list: () => [...orders.values()],
    cancel(orderId) {
      const o = orders.get(orderId);
      if (o) o.cancelled = true;
    },
    setMockProduct: install,
  };
}
