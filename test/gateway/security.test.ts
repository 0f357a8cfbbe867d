import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BASE,
  countRows,
  createGatewayHarness,
  type GatewayHarness,
  KEY,
  OTHER_KEY,
} from '../support/gateway.js';
import { readAnswer, v1Request, v2Request } from '../support/marketplace-calls.js';

let h: GatewayHarness;
beforeAll(async () => {
  h = await createGatewayHarness();
});
afterAll(() => h.close());

const body = (orderId: string) => ({
  activity: 'newInstance',
  orderId,
  orderLineId: `${orderId}-000001`,
  businessId: `b-${orderId}`,
  testFlag: '1',
});

async function send(req: Request, key = KEY) {
  return readAnswer(await h.app.request(req), key);
}

async function writes() {
  return Promise.all([
    countRows(h, 'instances'),
    countRows(h, 'operations'),
    countRows(h, 'inbox'),
    countRows(h, 'replay_guard'),
  ]);
}

describe('authentication (spec §2), nothing written for refused calls', () => {
  it('refuses a wrong key, a tampered body, missing or malformed signature parameters with 000001', async () => {
    const before = await writes();
    const now = h.clock.now();
    const cases: Request[] = [
      v2Request(BASE, body('SEC-1'), 'not-a-configured-key', now),
      new Request(`${BASE}?signature=AA&timestamp=${now.getTime()}&nonce=n1`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body('SEC-1')),
      }),
      new Request(`${BASE}?timestamp=${now.getTime()}&nonce=n1`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body('SEC-1')),
      }),
      new Request(`${BASE}?signature=AA&timestamp=yesterday&nonce=n1`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body('SEC-1')),
      }),
      v1Request(BASE, { activity: 'newInstance', orderId: 'SEC-V1' }, 'wrong-key-0000', now),
      new Request(`${BASE}?activity=newInstance&orderId=x&timeStamp=20261123080000000`, {
        method: 'GET',
      }),
    ];
    const tampered = v2Request(BASE, body('SEC-2'), KEY, now);
    const url = tampered.url;
    cases.push(
      new Request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body('SEC-3')),
      }),
    );
    for (const req of cases) {
      const a = await send(req);
      expect(a.status).toBe(200);
      expect(a.body.resultCode).toBe('000001');
      expect(a.bodySignValid).toBe(true); // signed with the primary key
    }
    expect(await writes()).toEqual(before);
  });

  it('refuses stale calls: V2 beyond 60 s either way, V1 beyond 5 min', async () => {
    const before = await writes();
    const now = h.clock.now().getTime();
    for (const skew of [61_000, -61_000]) {
      expect(
        (await send(v2Request(BASE, body('SEC-STALE'), KEY, new Date(now + skew)))).body,
      ).toMatchObject({ resultCode: '000001', resultMsg: expect.stringContaining('60 s') });
    }
    expect(
      (
        await send(
          v1Request(
            BASE,
            { activity: 'expireInstance', instanceId: 'x' },
            KEY,
            new Date(now - 301_000),
          ),
        )
      ).body.resultCode,
    ).toBe('000001');
    expect(await writes()).toEqual(before);
    // Within the window it is accepted (59 s, and a 10-digit seconds timestamp).
    expect(
      (await send(v2Request(BASE, body('SEC-59'), KEY, new Date(now - 59_000)))).body.resultCode,
    ).toBe('000004');
    const secs = String(Math.floor(now / 1000));
    expect(
      (await send(v2Request(BASE, body('SEC-SECS'), KEY, new Date(now), { timestamp: secs }))).body
        .resultCode,
    ).toBe('000004');
  });

  it('refuses a replayed nonce or authToken, also after a restart', async () => {
    const nonce = randomBytes(16).toString('hex');
    const at = h.clock.now();
    expect((await send(v2Request(BASE, body('SEC-R'), KEY, at, { nonce }))).body.resultCode).toBe(
      '000004',
    );
    const replay = await send(v2Request(BASE, body('SEC-R'), KEY, at, { nonce }));
    expect(replay.body).toMatchObject({
      resultCode: '000001',
      resultMsg: expect.stringContaining('already used'),
    });
    const v1 = v1Request(BASE, { activity: 'queryInstance', instanceId: 'kgi-x' }, KEY, at);
    expect((await send(v1.clone())).body.resultCode).toBe('000003');
    expect((await send(v1.clone())).body.resultCode).toBe('000001');
    h = await h.restart();
    expect((await send(v2Request(BASE, body('SEC-R'), KEY, at, { nonce }))).body.resultCode).toBe(
      '000001',
    );
    // The same nonce under another key is another caller's nonce.
    expect(
      (await send(v2Request(BASE, body('SEC-R2'), OTHER_KEY, at, { nonce }), OTHER_KEY)).body
        .resultCode,
    ).toBe('000004');
  });

  it('accepts every configured key (rotation), the SHA-256 inner digest and lower-case hex', async () => {
    const at = h.clock.now();
    const a = await send(v2Request(BASE, body('SEC-ROT'), OTHER_KEY, at), OTHER_KEY);
    expect(a.body.resultCode).toBe('000004');
    expect(a.bodySignValid).toBe(true); // answered and signed with the key that verified
    expect(
      (await send(v2Request(BASE, body('SEC-SHA'), KEY, at, { inner: 'sha256' }))).body.resultCode,
    ).toBe('000004');
    const req = v2Request(BASE, body('SEC-LOWER'), KEY, at);
    const url = new URL(req.url);
    url.searchParams.set('signature', url.searchParams.get('signature')!.toLowerCase());
    const lower = new Request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: await req.text(),
    });
    expect((await send(lower)).body.resultCode).toBe('000004');
  });

  it('purges expired replay entries but keeps live ones', async () => {
    const { purgeReplayGuard } = await import('../../src/marketplace/gateway/inbox.js');
    const live = await countRows(h, 'replay_guard');
    expect(await purgeReplayGuard(h.database.db, h.clock.now())).toBe(0);
    expect(
      await purgeReplayGuard(h.database.db, new Date(h.clock.now().getTime() + 11 * 60_000)),
    ).toBe(live);
  });
});
