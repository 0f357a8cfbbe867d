import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../test/support/fakes/manual-clock.js';
import { verifyRequest } from '../platform/apig-signing.js';
import { Retryable } from '../platform/errors.js';
import { createOrderQueryClient, OrderQueryRefused } from './order-query-client.js';

const AK = 'SELLERAK0000000001';
const SK = 'seller-secret-key-0001';
const clock = createManualClock({ start: new Date('2026-11-23T08:00:00Z') });
const script: Array<(c: { status: (n: number) => void }) => unknown> = [];
let calls = 0;
/** A scripted answer with an HTTP status other than 200. */
const failing = (status: number, body: object) => (c: { status: (n: number) => void }) => {
  c.status(status);
  return body;
};
let base = '';
const app = new Hono();
app.get('/api/mkp-openapi-public/global/v1/order/query', (c) => {
  calls++;
  const headers: Record<string, string> = {};
  c.req.raw.headers.forEach((v, k) => {
    headers[k] = v;
  });
  const check = verifyRequest(
    { method: 'GET', url: c.req.url, headers },
    (ak) => (ak === AK ? SK : undefined),
    clock.now(),
  );
  if (!check.ok) return c.json({ resultCode: 'MKT.0150', resultMsg: check.message }, 401);
  const step = script.shift();
  if (step) {
    let status = 200;
    const body = step({ status: (n) => (status = n) });
    return c.json(body as object, status as 200);
  }
  return c.json({
    resultCode: 'MKT.0000',
    resultMsg: 'Success',
    orderInfo: {
      orderId: c.req.query('orderId'),
      orderType: 'NEW',
      createTime: '20261123060000',
      buyerInfo: { customerId: 'cu-1', customerName: 'Buyer', mobilePhone: 'enc' },
      extendParams: [{ name: 'machineCode', value: 'MC-1' }],
      futureField: { kept: true },
      orderLine: [
        {
          orderLineId: `${c.req.query('orderId')}-000001`,
          chargingMode: 'PERIOD',
          periodType: 'month',
          periodNumber: '1',
          expireTime: '20261223155959',
          productInfo: [{ skuCode: 'sku-a', productId: 'prod-a', linearValue: 2 }],
        },
      ],
    },
  });
});
let server: ReturnType<typeof serve>;

beforeAll(async () => {
  await new Promise<void>((r) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      base = `http://127.0.0.1:${info.port}`;
      r();
    });
  });
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const sleeps: number[] = [];
const client = (sk = SK) =>
  createOrderQueryClient({
    baseUrl: base,
    ak: AK,
    sk,
    // The retry backoff sleeps on the clock: recorded here, never waited.
    clock: { now: () => clock.now(), sleep: async (ms) => void sleeps.push(ms) },
    timeoutMs: 2000,
    random: () => 1,
  });

describe('order query client (spec §6)', () => {
  it('signs with AK/SK and parses the order leniently', async () => {
    const order = await client().queryOrder('CS-1', 'CS-1-000001');
    expect(order).toMatchObject({
      orderId: 'CS-1',
      orderType: 'NEW',
      buyerInfo: { customerId: 'cu-1' },
      futureField: { kept: true },
    });
    expect(order.orderLine[0]).toMatchObject({
      chargingMode: 'PERIOD',
      periodNumber: 1,
      productInfo: [{ skuCode: 'sku-a', linearValue: '2' }],
    });
    expect(order.orderLine[0]!.expireTime?.toISOString()).toBe('2026-12-23T15:59:59.000Z');
  });

  it('retries 5xx, internal errors and throttling with backoff, then succeeds', async () => {
    calls = 0;
    sleeps.length = 0;
    script.push(
      failing(500, { resultCode: 'MKT.0999', resultMsg: 'System internal error.' }),
      failing(406, { resultCode: 'MKT.0250', resultMsg: 'Access frequency overlimit' }),
    );
    const order = await client().queryOrder('CS-2');
    expect(order.orderId).toBe('CS-2');
    expect(calls).toBe(3);
    expect(sleeps).toEqual([500, 1000]);
  });

  it('does not retry an authentication failure and says what to check', async () => {
    calls = 0;
    const err = await client('wrong-secret')
      .queryOrder('CS-3')
      .catch((e) => e);
    expect(err).toBeInstanceOf(OrderQueryRefused);
    expect(err.reason).toBe('auth');
    expect(err.message).toContain('KGD_CLOUD_AK');
    expect(calls).toBe(1);
  });

  it('does not retry a bad parameter; gives up on persistent failures after the policy', async () => {
    script.push(failing(400, { resultCode: 'MKT.0101', resultMsg: 'Invalid parameter' }));
    const bad = await client()
      .queryOrder('CS-4')
      .catch((e) => e);
    expect(bad).toBeInstanceOf(OrderQueryRefused);
    expect(bad).toMatchObject({ reason: 'bad-request', code: 'MKT.0101' });
    for (let i = 0; i < 5; i++) script.push(failing(500, { resultCode: 'CBC.0999' }));
    calls = 0;
    await expect(client().queryOrder('CS-5')).rejects.toBeInstanceOf(Retryable);
    expect(calls).toBe(5);
  });

  it("accepts the older copy's CBC.xxxx codes with the same meanings (spec §9)", async () => {
    script.push(failing(200, { resultCode: 'CBC.0199', resultMsg: 'Other parameter error' }));
    await expect(client().queryOrder('CS-7')).rejects.toMatchObject({
      reason: 'bad-request',
      code: 'CBC.0199',
    });
    script.push(failing(200, { resultCode: 'MKT.0151', resultMsg: 'No API permission' }));
    await expect(client().queryOrder('CS-8')).rejects.toMatchObject({ reason: 'auth' });
    script.push(() => ({
      resultCode: 'CBC.0000',
      orderInfo: {
        orderId: 'CS-9',
        orderType: 'NEW',
        orderLine: [{ orderLineId: 'CS-9-000001' }],
      },
    }));
    expect((await client().queryOrder('CS-9')).orderId).toBe('CS-9');
  });

  it('reports an unexpected order shape precisely', async () => {
    script.push(() => ({
      resultCode: 'CBC.0000',
      orderInfo: { orderId: 'x', orderType: 'NEW', orderLine: [] },
    }));
    await expect(client().queryOrder('CS-6')).rejects.toMatchObject({
      reason: 'bad-request',
      message: expect.stringContaining('orderLine'),
    });
  });
});
