import type { Hono } from 'hono';
import { verifyRequest } from '../../platform/apig-signing.js';
import type { Clock } from '../../platform/clock.js';
import type { Order } from './orders.js';
import { formatOrderTime } from './time-format.js';

/**
 * The marketplace's order query API (spec §6): `GET /api/mkp-openapi-public/global/v1/order/query`
 * signed `SDK-HMAC-SHA256` with the seller's AK/SK, answering the orders the simulator created
 * and the MOCK debug orders.
 */

export const orderQueryPath = '/api/mkp-openapi-public/global/v1/order/query';

export interface OrderQueryRecord {
  at: string;
  orderId?: string;
  orderLineId?: string;
  resultCode: string;
  ak?: string;
}

export interface OrderQueryDeps {
  clock: Clock;
  findOrder(orderId: string): Order | undefined;
  /** The seller AK/SK pairs allowed to query (read on every request: config can change). */
  sellerCredentials(): ReadonlyArray<{ ak: string; sk: string }>;
  /** Told about every query, for checks such as "the service read the order first". */
  onQuery?(record: OrderQueryRecord): void;
}

export function toOrderInfo(order: Order, orderLineId?: string) {
  const lines = order.orderLine.filter((l) => !orderLineId || l.orderLineId === orderLineId);
  return {
    orderId: order.orderId,
    orderType: order.orderType,
    createTime: formatOrderTime(order.createTime),
    buyerInfo: { ...order.buyerInfo },
    extendParams: order.extendParams.map((p) => ({ name: p.name, value: p.value })),
    orderLine: lines.map((l) => ({
      orderLineId: l.orderLineId,
      chargingMode: l.chargingMode,
      periodType: l.periodType,
      periodNumber: l.periodNumber,
      expireTime: l.expireTime ? formatOrderTime(l.expireTime) : undefined,
      currency: l.currency,
      orderAmount: l.orderAmount,
      productInfo: l.productInfo.map((p) => ({
        skuCode: p.skuCode,
        productId: p.productId,
        linearValue: p.linearValue,
      })),
    })),
  };
}

/**
 * @example
 *   registerOrderQueryApi(app, { clock, findOrder: book.get, sellerCredentials: () => [{ ak, sk }] });
 */
export function registerOrderQueryApi(app: Hono, deps: OrderQueryDeps): void {
  app.get(orderQueryPath, async (c) => {
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const body = Buffer.from(await c.req.arrayBuffer());
    const orderId = c.req.query('orderId');
    const orderLineId = c.req.query('orderLineId');
    const answer = (
      status: 200 | 400 | 401,
      resultCode: string,
      resultMsg: string,
      ak?: string,
    ) => {
      deps.onQuery?.({ at: deps.clock.now().toISOString(), orderId, orderLineId, resultCode, ak });
      return c.json({ resultCode, resultMsg }, status);
    };

    const verified = verifyRequest(
      { method: c.req.method, url: c.req.url, headers, body },
      (ak) => deps.sellerCredentials().find((cred) => cred.ak === ak)?.sk,
      deps.clock.now(),
    );
    if (!verified.ok) return answer(401, 'MKT.0150', `authentication failed: ${verified.message}`);

    if (!orderId) return answer(400, 'MKT.0101', 'orderId is required', verified.ak);
    if (orderId.length > 64)
      return answer(400, 'MKT.0101', 'orderId is longer than 64', verified.ak);
    if (orderLineId !== undefined && orderLineId.length > 64) {
      return answer(400, 'MKT.0101', 'orderLineId is longer than 64', verified.ak);
    }
    const order = deps.findOrder(orderId);
    if (!order) return answer(400, 'MKT.0101', `orderId ${orderId}: no such order`, verified.ak);
    if (orderLineId && !order.orderLine.some((l) => l.orderLineId === orderLineId)) {
      return answer(
        400,
        'MKT.0101',
        `orderLineId ${orderLineId} does not belong to order ${orderId}`,
        verified.ak,
      );
    }
    deps.onQuery?.({
      at: deps.clock.now().toISOString(),
      orderId,
      orderLineId,
      resultCode: 'MKT.0000',
      ak: verified.ak,
    });
    return c.json({
      resultCode: 'MKT.0000',
      resultMsg: 'Success',
      orderInfo: toOrderInfo(order, orderLineId),
    });
  });
}
