import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../../test/support/fakes/manual-clock.js';
import {
  createProductionEndpoint,
  type ProductionEndpoint,
} from '../../../test/support/marketplace-sim/production-endpoint.js';
import { decryptField } from '../../marketplace/protocol/field-crypto.js';
import { bodySignHeader } from '../../marketplace/protocol/signatures.js';
import { checkAnswer } from './answer-check.js';
import { type Listening, listen } from './listen.js';
import { createMarketplaceClient } from './marketplace-client.js';
import { encodeExtendParams } from './notification-fields.js';
import { buildRequest, type CallSpec } from './request-builder.js';
import { formatV1TimeStamp } from './time-format.js';

const KEY = 'client-test-key-0001';
const clock = createManualClock({ start: new Date('2026-03-01T08:00:00.123Z') });
let endpoint: ProductionEndpoint;
let server: Listening;
let url: string;

beforeAll(async () => {
  endpoint = createProductionEndpoint({ keys: [KEY], clock });
  server = await listen(endpoint.app);
  url = `${server.url}/koogallery`;
});
afterAll(() => server.close());
afterEach(() => endpoint.releaseHangs());

const client = createMarketplaceClient({ clock });
const v1 = (activity: string, fields: Record<string, unknown>, extra: Partial<CallSpec> = {}) =>
  client.call({ protocol: 'v1', url, key: KEY, activity, fields, ...extra });
const v2 = (activity: string, fields: Record<string, unknown>, extra: Partial<CallSpec> = {}) =>
  client.call({ protocol: 'v2', url, key: KEY, activity, fields, ...extra });
const last = () => endpoint.inbox.at(-1)!;

describe('request building against the spec vectors', () => {
  it('computes the V1 authToken of spec §2.1', () => {
    const req = buildRequest(
      {
        protocol: 'v1',
        url: 'https://seller.example.com/kg',
        key: 'test-access-key-123',
        activity: 'newInstance',
        fields: {
          businessId: 'b1',
          customerId: 'c1',
          orderId: 'o1',
          testFlag: '1',
          timeStamp: '20200727073711903',
        },
      },
      { now: new Date() },
    );
    const q = new URL(req.url).searchParams;
    expect(req.method).toBe('GET');
    expect(q.get('authToken')).toBe('77MMxuN6LTWLmMuJ5uhAv+p0TjXLAB/9DmvWDQ/kjCY=');
    expect(req.url).toContain('authToken=77MMxuN6LTWLmMuJ5uhAv%2Bp0TjXLAB%2F9DmvWDQ%2FkjCY%3D');
  });

  it('computes the V2 signature of spec §2.2, both inner digests', () => {
    const spec: CallSpec = {
      protocol: 'v2',
      url: 'https://seller.example.com/kg?x=1',
      key: 'demo-access-key-0001',
      activity: 'newInstance',
      fields: {
        businessId: 'b-0001',
        orderId: 'CS0001',
        orderLineId: 'CS0001-000001',
        testFlag: '1',
      },
      corruption: { nonce: '6D5B2E1F0A9C8B7A6D5B2E1F0A9C8B7A' },
    };
    const at = { now: new Date(1_700_000_000_000) };
    const req = buildRequest(spec, at);
    expect(req.body).toBe(
      '{"activity":"newInstance","businessId":"b-0001","orderId":"CS0001","orderLineId":"CS0001-000001","testFlag":"1"}',
    );
    const q = new URL(req.url).searchParams;
    expect(q.get('x')).toBe('1');
    expect(q.get('timestamp')).toBe('1700000000000');
    expect(q.get('signature')).toBe(
      '02FD035C639A895B2D5FE3B2CC693C8EFACAAF9177B74FE2189786EA7E2D5785',
    );
    const sha = buildRequest(
      { ...spec, corruption: { ...spec.corruption, innerDigest: 'sha256' } },
      at,
    );
    expect(new URL(sha.url).searchParams.get('signature')).toBe(
      '25E9BCE6E7C85C6D38C9731DBF53105171BA9E65F58263CD86CFC692A2A1962D',
    );
  });

  it('names the bad field', () => {
    expect(() =>
      buildRequest(
        { protocol: 'v1', url, key: KEY, activity: 'x', fields: { a: { b: 1 } } },
        { now: new Date() },
      ),
    ).toThrow(/V1 parameter a/);
    expect(() =>
      buildRequest(
        { protocol: 'v2', url: 'ftp://x', key: KEY, activity: 'x', fields: {} },
        { now: new Date() },
      ),
    ).toThrow(/url/);
  });
});

describe('V1 calls over HTTP', () => {
  it('newInstance verifies, carries decryptable contact fields and base64 extension params', async () => {
    const ext = encodeExtendParams([{ name: 'domain', value: 'a+b/c=?&' }]);
    const r = await v1('newInstance', {
      orderId: 'CS2603010800ABCDE',
      businessId: 'bus-0001',
      mobilePhone: '138-enc-placeholder',
      saasExtendParams: ext,
      testFlag: '0',
    });
    // mobilePhone here is not ciphertext: the endpoint refuses it.
    expect(r).toMatchObject({ accepted: false, resultCode: '000002' });
    const r2 = await v1('newInstance', {
      orderId: 'CS2603010800ABCDF',
      businessId: 'bus-0002',
      saasExtendParams: ext,
      testFlag: '0',
    });
    expect(last().verified).toBe(true);
    expect(last().fields.saasExtendParams).toBe(ext);
    expect(r2).toMatchObject({
      accepted: true,
      resultCode: '000000',
      bodySign: 'valid',
      bodySignValid: true,
    });
    expect(r2.instanceId).toBe('bus-0002');
    expect(r2.appInfo).toMatchObject({ userName: 'admin', password: 'pw-bus-0002' });
    expect(r2.latencyMs).toBeGreaterThanOrEqual(0);
    const stamp = new URL(r2.request.url).searchParams.get('timeStamp');
    expect(stamp).toBe(formatV1TimeStamp(r2.request.signedAt));
    expect(stamp).toMatch(/^20260301080000\d{3}$/);
  });

  it('every V1 activity verifies', async () => {
    const created = await v1('newInstance', {
      orderId: 'CS-V1-ALL',
      businessId: 'inst-v1',
      testFlag: '1',
    });
    expect(created.accepted).toBe(true);
    const calls: Array<[string, Record<string, unknown>]> = [
      [
        'refreshInstance',
        { orderId: 'CS-R', instanceId: 'inst-v1', expireTime: '20270301080000', periodNumber: 1 },
      ],
      ['instanceStatus', { instanceId: 'inst-v1', instanceStatus: 'FREEZE' }],
      ['instanceStatus', { instanceId: 'inst-v1', instanceStatus: 'NORMAL' }],
      ['upgrade', { instanceId: 'inst-v1', orderId: 'CS-U', skuCode: 'big' }],
      ['expireInstance', { instanceId: 'inst-v1' }],
      ['releaseInstance', { instanceId: 'inst-v1', orderAmount: -10 }],
      ['getLicense', { orderId: 'CS-L', businessId: 'lic-1', customerId: 'c' }],
    ];
    for (const [activity, fields] of calls) {
      const r = await v1(activity, { ...fields, testFlag: '1' });
      expect(last()).toMatchObject({ activity, verified: true });
      expect(r, activity).toMatchObject({ accepted: true, resultCode: '000000' });
    }
    expect(endpoint.instances.get('inst-v1')).toMatchObject({ state: 'released', skuCode: 'big' });
    const license = await v1('getLicense', {
      orderId: 'CS-L2',
      businessId: 'lic-2',
      testFlag: '1',
    });
    expect(license.license).toBe('LIC-CS-L2');
  });

  it('reports a wrong or missing Body-Sign and undecryptable appInfo', async () => {
    endpoint.fail('newInstance', { kind: 'bad-body-sign' });
    const bad = await v1('newInstance', { orderId: 'CS-BS1', businessId: 'bs1' });
    expect(bad).toMatchObject({
      accepted: false,
      bodySign: 'invalid',
      bodySignValid: false,
      resultCode: '000000',
    });
    expect(bad.problems).toContain('Body-Sign does not verify over the answer bytes');
    endpoint.fail('newInstance', { kind: 'no-body-sign' });
    const missing = await v1('newInstance', { orderId: 'CS-BS2', businessId: 'bs2' });
    expect(missing.problems).toContain('Body-Sign header missing');
    endpoint.fail('newInstance', { kind: 'bad-appinfo' });
    const garbled = await v1('newInstance', { orderId: 'CS-BS3', businessId: 'bs3' });
    expect(garbled.accepted).toBe(false);
    expect(garbled.problems.join()).toMatch(/appInfo.password does not decrypt/);
  });

  it('corrupted V1 requests are refused by a correct endpoint', async () => {
    const base = { instanceId: 'nobody' };
    expect(
      (await v1('expireInstance', base, { corruption: { signWithKey: 'other-key' } })).resultCode,
    ).toBe('000001');
    expect(
      (await v1('expireInstance', base, { corruption: { skewMs: -10 * 60_000 } })).resultCode,
    ).toBe('000001');
    expect(last().reason).toBe('stale timeStamp');
    for (const tamper of ['value', 'signature', 'omit-signature'] as const) {
      const r = await v1('expireInstance', base, { corruption: { tamper } });
      expect(r.resultCode, tamper).toBe('000001');
      expect(last().verified).toBe(false);
    }
    expect(() =>
      client.build({
        protocol: 'v1',
        url,
        key: KEY,
        activity: 'x',
        fields: {},
        corruption: { tamper: 'whitespace' },
      }),
    ).toThrow(/V2 only/);
  });
});

describe('V2 calls over HTTP', () => {
  it('every V2 activity verifies; newInstance then queryInstance reads the plain-text appInfo', async () => {
    const created = await v2('newInstance', {
      orderId: 'CS-V2',
      orderLineId: 'CS-V2-000001',
      businessId: 'inst-v2',
      testFlag: '0',
    });
    expect(created).toMatchObject({ accepted: true, resultCode: '000000', instanceId: 'inst-v2' });
    expect(created.request.method).toBe('POST');
    const q = await v2('queryInstance', { instanceId: 'inst-v2,unknown', testFlag: '0' });
    expect(q.accepted).toBe(true);
    expect(q.info).toEqual([
      {
        instanceId: 'inst-v2',
        appInfo: expect.objectContaining({ userName: 'admin', password: 'pw-inst-v2' }),
        usageInfo: undefined,
      },
    ]);
    const calls: Array<[string, Record<string, unknown>]> = [
      [
        'refreshInstance',
        { scene: 'RENEWAL', orderId: 'CS-R2', orderLineId: 'CS-R2-000001', instanceId: 'inst-v2' },
      ],
      ['updateInstanceStatus', { instanceId: 'inst-v2', status: 'FREEZE' }],
      ['updateInstanceStatus', { instanceId: 'inst-v2', status: 'UNFREEZE' }],
      ['upgradeInstance', { instanceId: 'inst-v2', orderId: 'CS-U2', orderLineId: 'CS-U2-000001' }],
      ['orderNotify', { orderId: 'CS-U2', orderLineId: 'CS-U2-000001', instanceId: 'inst-v2' }],
      ['releaseInstance', { instanceId: 'inst-v2' }],
    ];
    for (const [activity, fields] of calls) {
      const r = await v2(activity, { ...fields, testFlag: '0' });
      expect(last()).toMatchObject({ activity, verified: true });
      expect(r, activity).toMatchObject({
        accepted: true,
        resultCode: '000000',
        bodySign: 'valid',
      });
    }
  });

  it('accepts the documented variants: pretty body, seconds timestamp, SHA-256 inner digest', async () => {
    await v2('releaseInstance', { instanceId: 'x1' }, { prettyBody: true });
    expect(last()).toMatchObject({ verified: true });
    await v2('releaseInstance', { instanceId: 'x2' }, { corruption: { timestampUnit: 's' } });
    expect(last()).toMatchObject({ verified: true });
    const seconds = await v2(
      'releaseInstance',
      { instanceId: 'x3' },
      {
        corruption: { timestampUnit: 's' },
      },
    );
    expect(new URL(seconds.request.url).searchParams.get('timestamp')).toHaveLength(10);
    await v2('releaseInstance', { instanceId: 'x4' }, { corruption: { innerDigest: 'sha256' } });
    expect(last()).toMatchObject({ verified: true });
  });

  it('corrupted V2 requests are refused: wrong key, stale, replayed nonce, tampering', async () => {
    const f = { instanceId: 'nobody' };
    expect(
      (await v2('releaseInstance', f, { corruption: { signWithKey: 'bad' } })).resultCode,
    ).toBe('000001');
    expect((await v2('releaseInstance', f, { corruption: { skewMs: 61_000 } })).resultCode).toBe(
      '000001',
    );
    expect(last().reason).toBe('stale timestamp');
    const first = await v2('releaseInstance', f, { corruption: { nonce: 'NONCE-REUSED-0001' } });
    expect(first.resultCode).toBe('000003');
    const again = await v2('releaseInstance', f, { corruption: { nonce: 'NONCE-REUSED-0001' } });
    expect(again.resultCode).toBe('000001');
    expect(last().reason).toBe('replayed nonce');
    for (const tamper of ['value', 'whitespace', 'signature', 'omit-signature'] as const) {
      const r = await v2('releaseInstance', f, { corruption: { tamper } });
      expect(r.resultCode, tamper).toBe('000001');
    }
  });

  it('a V2 answer needs a Body-Sign too, 000004 is accepted only for newInstance', async () => {
    endpoint.fail('releaseInstance', { kind: 'no-body-sign' });
    const r = await v2('releaseInstance', { instanceId: 'nobody' });
    expect(r.bodySign).toBe('missing');
    expect(r.problems).toContain('Body-Sign header missing');
    expect(r.accepted).toBe(false);
    endpoint.fail('releaseInstance', { kind: 'bad-body-sign' });
    const bad = await v2('releaseInstance', { instanceId: 'nobody' });
    expect(bad.problems).toContain('Body-Sign does not verify over the answer bytes');
    endpoint.fail('releaseInstance', { kind: 'result', code: '000004' });
    expect((await v2('releaseInstance', { instanceId: 'nobody' })).accepted).toBe(false);
  });
});

describe('transport failures', () => {
  it('times out a hanging endpoint and measures the wait', async () => {
    const quick = createMarketplaceClient({ clock, timeoutMs: 150 });
    endpoint.fail('expireInstance', { kind: 'hang' });
    const r = await quick.call({
      protocol: 'v1',
      url,
      key: KEY,
      activity: 'expireInstance',
      fields: {},
    });
    expect(r).toMatchObject({ accepted: false, error: 'no answer within 150 ms' });
    expect(r.latencyMs).toBeGreaterThanOrEqual(140);
  });

  it('reports a refused connection and a 500', async () => {
    const closed = await listen(createProductionEndpoint({ keys: [KEY], clock }).app);
    await closed.close();
    const r = await client.call({
      protocol: 'v2',
      url: closed.url,
      key: KEY,
      activity: 'x',
      fields: {},
    });
    expect(r.accepted).toBe(false);
    expect(r.error).toMatch(/fetch failed/);
    endpoint.fail('releaseInstance', { kind: 'http-500' });
    const e = await v2('releaseInstance', { instanceId: 'nobody' });
    expect(e.problems).toContain('HTTP status 500, expected 200');
  });

  it('refuses a V2 answer that encrypts appInfo or names an encryptType (spec §2.5)', () => {
    const body = JSON.stringify({
      resultCode: '000000',
      resultMsg: 'success',
      encryptType: '1',
      info: [{ instanceId: 'i', appInfo: { frontEndUrl: 'https://x', userName: 'admin' } }],
    });
    const check = checkAnswer({
      protocol: 'v2',
      activity: 'queryInstance',
      key: KEY,
      status: 200,
      bodySignHeader: bodySignHeader(KEY, body),
      body: Buffer.from(body),
    });
    expect(check.problems).toEqual([
      'encryptType in a V2 answer: V2 sends appInfo in plain text without it',
    ]);
    expect(check.info?.[0]?.appInfo?.userName).toBe('admin');
  });

  it('decrypts AES-128 appInfo when the answer says encryptType 2', async () => {
    const ep = createProductionEndpoint({ keys: [KEY], clock, encryptType: 2 });
    const s = await listen(ep.app);
    try {
      const r = await client.call({
        protocol: 'v1',
        url: `${s.url}/koogallery`,
        key: KEY,
        activity: 'newInstance',
        fields: { orderId: 'CS-128', businessId: 'i128' },
      });
      expect(r).toMatchObject({ accepted: true, encryptType: 2 });
      expect(r.appInfo?.password).toBe('pw-i128');
      const raw = JSON.parse(r.bodyText!).appInfo.password as string;
      expect(decryptField(raw, KEY, 2)).toBe('pw-i128');
    } finally {
      await s.close();
    }
  });
});
