import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BASE,
  callV1,
  callV2,
  countRows,
  createGatewayHarness,
  type GatewayHarness,
  KEY,
} from '../support/gateway.js';
import { readAnswer, v2Request } from '../support/marketplace-calls.js';

let h: GatewayHarness;
beforeAll(async () => {
  h = await createGatewayHarness();
});
afterAll(() => h.close());

const v1 = (params: Record<string, string>) => callV1(h, params);
const v2 = (body: Record<string, unknown> | string) => callV2(h, body);

const orderRows = async () => [await countRows(h, 'instances'), await countRows(h, 'operations')];

describe('bad input: a precise 000002, never a crash, never an order', () => {
  it('answers malformed authenticated V2 calls with a message naming the field', async () => {
    const before = await orderRows();
    const cases: [Record<string, unknown> | string, string][] = [
      ['{"activity": "newInstance",', 'not valid JSON'],
      ['[1,2,3]', 'JSON object'],
      [{ orderId: 'x' }, 'activity'],
      [{ activity: 'deleteEverything' }, "unknown V2 activity 'deleteEverything'"],
      [{ activity: 'newInstance', orderId: 'X', businessId: 'b' }, 'orderLineId'],
      [
        { activity: 'newInstance', orderId: 'X'.repeat(65), orderLineId: 'l', businessId: 'b' },
        'orderId: at most 64',
      ],
      [{ activity: 'newInstance', orderId: 7, orderLineId: 'l', businessId: 'b' }, 'orderId'],
      [
        {
          activity: 'newInstance',
          orderId: 'X',
          orderLineId: 'l',
          businessId: 'b',
          testFlag: 'yes',
        },
        'testFlag: expected 0 or 1',
      ],
      [
        { activity: 'updateInstanceStatus', instanceId: 'i', status: 'PAUSE' },
        'status: expected FREEZE or UNFREEZE',
      ],
      [
        {
          activity: 'refreshInstance',
          scene: 'RENEWAL',
          orderId: 'o',
          instanceId: 'i',
          expireTime: '20261340000000',
        },
        'expireTime',
      ],
      [{ activity: 'newInstance', buyerInfo: {}, orderInfo: [] }, 'orderInfo'],
      [
        {
          activity: 'newInstance',
          buyerInfo: {},
          orderInfo: [{ orderId: 'o', extendParams: 'nope' }],
        },
        'extendParams',
      ],
    ];
    for (const [body, expected] of cases) {
      const a = await v2(body);
      expect([body, a.status, a.body.resultCode]).toEqual([body, 200, '000002']);
      expect(a.body.resultMsg).toContain(expected);
      expect(a.bodySignValid).toBe(true);
    }
    expect(await orderRows()).toEqual(before);
    // Authenticated malformed calls are kept in the inbox with the answer given.
    const stored = await h.database.db
      .selectFrom('inbox')
      .select('result_code')
      .where('result_code', '=', '000002')
      .execute();
    expect(stored.length).toBe(cases.length);
  });

  it('answers malformed authenticated V1 calls with a message naming the field', async () => {
    const before = await orderRows();
    const base = {
      activity: 'newInstance',
      businessId: 'b',
      orderId: 'o',
      skuCode: 's',
      productId: 'p',
    };
    const cases: [Record<string, string>, string][] = [
      [{ ...base, activity: 'nope' }, "unknown V1 activity 'nope'"],
      [{ ...base, saasExtendParams: '%%%not-base64' }, 'saasExtendParams: not base64'],
      [
        { ...base, saasExtendParams: Buffer.from('not json').toString('base64') },
        'saasExtendParams: base64 does not hold JSON',
      ],
      [
        { ...base, saasExtendParams: Buffer.from('{"a":1}').toString('base64') },
        'saasExtendParams',
      ],
      [{ ...base, skuCode: '' }, 'skuCode: must not be empty'],
      [{ ...base, expireTime: '2026-12-01' }, 'expireTime: expected yyyyMMddHHmmss'],
      [{ ...base, periodNumber: 'twelve' }, 'periodNumber: expected a whole number'],
      [
        { activity: 'instanceStatus', instanceId: 'i', instanceStatus: 'PAUSED' },
        'instanceStatus: expected FREEZE or NORMAL',
      ],
      [{ activity: 'expireInstance', instanceId: 'i'.repeat(65) }, 'instanceId: at most 64'],
      [{ activity: 'refreshInstance', instanceId: 'i' }, 'orderId'],
    ];
    for (const [params, expected] of cases) {
      const a = await v1(params);
      expect([params.activity, a.body.resultCode]).toEqual([params.activity, '000002']);
      expect(a.body.resultMsg).toContain(expected);
    }
    expect(await orderRows()).toEqual(before);
  });

  it('answers text PostgreSQL cannot store (NUL, unpaired surrogates) 000002, not 000005', async () => {
    const before = await orderRows();
    const cases: [Record<string, unknown>, RegExp][] = [
      [
        { activity: 'newInstance', orderId: 'a\u0000b', orderLineId: 'l', businessId: 'b' },
        /^orderId: contains a NUL/,
      ],
      [
        { activity: 'newInstance', orderId: '\ud800', orderLineId: 'l2', businessId: 'b' },
        /^orderId: .*unpaired surrogate/,
      ],
      [{ activity: '\u0000' }, /^activity: unknown V2 activity '\\0'/],
    ];
    for (const [body, message] of cases) {
      const a = await v2(body);
      expect(a.body.resultCode, JSON.stringify(body)).toBe('000002');
      expect(a.body.resultMsg).toMatch(message);
    }
    const v1Nul = await v1({ activity: 'expireInstance', instanceId: 'a\u0000b' });
    expect(v1Nul.body.resultCode).toBe('000002');
    expect(v1Nul.body.resultMsg).toMatch(/^instanceId: contains a NUL/);
    // A value decoded while parsing (base64 extension parameters) is named by its decoded path.
    const decoded = await v1({
      activity: 'newInstance',
      businessId: 'b',
      orderId: 'o-decoded',
      skuCode: 's',
      productId: 'p',
      saasExtendParams: Buffer.from(JSON.stringify([{ name: 'k', value: 'v\u0000' }])).toString(
        'base64',
      ),
    });
    expect(decoded.body.resultCode).toBe('000002');
    expect(decoded.body.resultMsg).toMatch(/^order\.extendParams\[0\]\.value: contains a NUL/);
    expect(await orderRows()).toEqual(before);

    // Unknown fields and parameters are ignored, whatever they hold (and however deep).
    const deep = `${'['.repeat(20_000)}"\\u0000"${']'.repeat(20_000)}`;
    const ignored = await v2(
      `{"activity":"newInstance","orderId":"o-ignored","orderLineId":"l-ignored","businessId":"b","x\\u0000":"\\ud800","extra":${deep}}`,
    );
    expect(ignored.body.resultCode).toBe('000004');
    const v1Ignored = await v1({ activity: 'expireInstance', instanceId: 'nowhere', x: '\u0000' });
    expect(v1Ignored.body.resultCode).toBe('000003');
  });

  it('refuses structural problems before authentication, writing nothing', async () => {
    const before = await Promise.all([
      countRows(h, 'inbox'),
      countRows(h, 'replay_guard'),
      countRows(h, 'instances'),
    ]);
    const big = {
      activity: 'newInstance',
      orderId: 'o',
      orderLineId: 'l',
      businessId: 'b',
      pad: 'x'.repeat(70_000),
    };
    const signedBig = v2Request(BASE, big, KEY, h.clock.now());
    const cases: [Request, string][] = [
      [signedBig, 'body over 65536 bytes'],
      [new Request(BASE, { method: 'PUT', body: '{}' }), 'method PUT not accepted'],
      [new Request(BASE, { method: 'DELETE' }), 'method DELETE not accepted'],
      [
        new Request(`${BASE}?signature=a&timestamp=1&nonce=n`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'a=b',
        }),
        'content-type',
      ],
      [
        new Request(`${BASE}?activity=a&activity=b`, { method: 'GET' }),
        "'activity' appears more than once",
      ],
    ];
    for (const [req, expected] of cases) {
      const a = await readAnswer(await h.app.request(req), KEY);
      expect([expected, a.status, a.body.resultCode]).toEqual([expected, 200, '000002']);
      expect(a.body.resultMsg).toContain(expected);
    }
    expect(
      await Promise.all([
        countRows(h, 'inbox'),
        countRows(h, 'replay_guard'),
        countRows(h, 'instances'),
      ]),
    ).toEqual(before);
  });

  it('answers JSON 404 off the production path and never a 500', async () => {
    const res = await h.app.request('/nowhere');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
});
