import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core';
import { AKSKSigner } from '@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner.js';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../../test/support/fakes/manual-clock.js';
import { signRequest } from '../../platform/apig-signing.js';
import { type Listening, listen } from './listen.js';
import {
  type OrderQueryRecord,
  orderQueryPath,
  registerOrderQueryApi,
  type toOrderInfo,
} from './order-query-api.js';

type Answer = { resultCode: string; resultMsg: string; orderInfo: ReturnType<typeof toOrderInfo> };

import { createOrderBook } from './orders.js';

const AK = 'SELLERAK0000TEST';
const SK = 'seller-secret-key-for-tests-0001';
// The real SDK signs with its own clock: the simulator's clock must be near real time.
const clock = createManualClock({ start: new Date() });
const book = createOrderBook({ clock });
const order = book.createPurchase({
  productId: 'OFFI0001',
  skuCode: 'small',
  periodType: 'year',
  extendParams: [{ name: 'domain', value: 'shop.example.com' }],
});
const queries: OrderQueryRecord[] = [];
let server: Listening;

beforeAll(async () => {
  const app = new Hono();
  registerOrderQueryApi(app, {
    clock,
    findOrder: (id) => book.get(id),
    sellerCredentials: () => [{ ak: AK, sk: SK }],
    onQuery: (r) => queries.push(r),
  });
  server = await listen(app);
});
afterAll(() => server.close());

async function query(
  params: Record<string, string>,
  creds = { ak: AK, sk: SK },
  mutate?: (u: string) => string,
) {
  const url = `${server.url}${orderQueryPath}?${new URLSearchParams(params)}`;
  const headers = signRequest(
    { method: 'GET', url, headers: { 'content-type': 'application/json' } },
    creds,
    clock.now(),
  );
  const { host: _host, ...sent } = headers;
  const res = await fetch(mutate ? mutate(url) : url, { headers: sent });
  return { status: res.status, body: (await res.json()) as Answer };
}

describe('order query API', () => {
  it('answers a signed query with the order in the documented shape', async () => {
    const r = await query({ orderId: order.orderId, orderLineId: `${order.orderId}-000001` });
    expect(r.status).toBe(200);
    expect(r.body.resultCode).toBe('MKT.0000');
    const info = r.body.orderInfo;
    expect(info).toMatchObject({
      orderId: order.orderId,
      orderType: 'NEW',
      buyerInfo: { customerId: order.buyerInfo.customerId, userName: order.buyerInfo.userName },
      extendParams: [{ name: 'domain', value: 'shop.example.com' }],
    });
    expect(info.createTime).toMatch(/^\d{14}$/);
    expect(info.orderLine).toHaveLength(1);
    expect(info.orderLine[0]).toMatchObject({
      orderLineId: `${order.orderId}-000001`,
      chargingMode: 'PERIOD',
      periodType: 'year',
      periodNumber: 1,
      productInfo: [{ skuCode: 'small', productId: 'OFFI0001' }],
    });
    expect(info.orderLine[0]!.expireTime).toMatch(/^\d{14}$/);
    expect(queries.at(-1)).toMatchObject({
      orderId: order.orderId,
      resultCode: 'MKT.0000',
      ak: AK,
    });
  });

  it('accepts a request signed by the official SDK signer', async () => {
    const url = `${server.url}${orderQueryPath}`;
    const signed = AKSKSigner.sign(
      {
        method: 'GET',
        endpoint: url,
        headers: { 'Content-Type': 'application/json' },
        queryParams: { orderId: 'MOCKMONTYRENEW', orderLineId: 'MOCKMONTYRENEW-000001' },
      } as never,
      new BasicCredentials().withAk(AK).withSk(SK),
    ) as Record<string, string>;
    const { host: _host, ...headers } = signed;
    const res = await fetch(`${url}?orderId=MOCKMONTYRENEW&orderLineId=MOCKMONTYRENEW-000001`, {
      headers,
    });
    const body = (await res.json()) as Answer;
    expect(res.status).toBe(200);
    expect(body.orderInfo).toMatchObject({ orderId: 'MOCKMONTYRENEW', orderType: 'RENEW' });
  });

  it('refuses tampered, unknown-key and unsigned requests with MKT.0150', async () => {
    const tampered = await query({ orderId: order.orderId }, undefined, (u) =>
      u.replace(order.orderId, 'MOCKONDEMAND'),
    );
    expect(tampered).toEqual({
      status: 401,
      body: expect.objectContaining({ resultCode: 'MKT.0150' }),
    });
    const wrongSk = await query({ orderId: order.orderId }, { ak: AK, sk: 'not-the-secret' });
    expect(wrongSk.body.resultCode).toBe('MKT.0150');
    const unknownAk = await query({ orderId: order.orderId }, { ak: 'OTHERAK', sk: SK });
    expect(unknownAk.body).toMatchObject({
      resultCode: 'MKT.0150',
      resultMsg: expect.stringMatching(/unknown AK/),
    });
    const unsigned = await fetch(`${server.url}${orderQueryPath}?orderId=${order.orderId}`);
    expect(unsigned.status).toBe(401);
    clock.advance(16 * 60_000);
    try {
      const stale = await fetch(`${server.url}${orderQueryPath}?orderId=${order.orderId}`, {
        headers: (({ host: _h, ...h }) => h)(
          signRequest(
            {
              method: 'GET',
              url: `${server.url}${orderQueryPath}?orderId=${order.orderId}`,
              headers: {},
            },
            { ak: AK, sk: SK },
            new Date(clock.now().getTime() - 16 * 60_000),
          ),
        ),
      });
      expect(stale.status).toBe(401);
    } finally {
      clock.advance(-16 * 60_000);
    }
  });

  it('answers MKT.0101 for a missing, unknown or mismatched order', async () => {
    expect((await query({})).body).toMatchObject({
      resultCode: 'MKT.0101',
      resultMsg: 'orderId is required',
    });
    expect((await query({ orderId: 'CS0000000000NOPE0' })).body.resultCode).toBe('MKT.0101');
    const mismatch = await query({ orderId: order.orderId, orderLineId: 'MOCKONDEMAND-000001' });
    expect(mismatch).toMatchObject({ status: 400, body: { resultCode: 'MKT.0101' } });
    expect((await query({ orderId: 'x'.repeat(65) })).body.resultCode).toBe('MKT.0101');
  });
});
