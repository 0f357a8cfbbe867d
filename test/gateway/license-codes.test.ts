import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordCodeState } from '../../src/deployments/commands/record-code-state.js';
import { createLicenseCodeClient } from '../../src/marketplace/license-code-client.js';
import { registerLicenseCodeApi } from '../../src/simulator/marketplace/license-code-api.js';
import { createMarketplaceClient } from '../../src/simulator/marketplace/marketplace-client.js';
import {
  BASE,
  callV1,
  callV2,
  createGatewayHarness,
  type GatewayHarness,
  KEY,
} from '../support/gateway.js';
import { createVirtualTimer } from '../support/marketplace-sim/virtual-timer.js';

let h: GatewayHarness;
beforeAll(async () => {
  h = await createGatewayHarness();
});
afterAll(() => h.close());

const v2 = (body: Record<string, unknown>) => callV2(h, body);

async function knownCode(code: string) {
  await recordCodeState(
    h.database.db,
    {
      state: {
        code,
        status: 'ALIVE',
        expireTime: new Date('2027-01-01T00:00:00Z'),
        activateTime: new Date('2026-01-01T00:00:00Z'),
        productId: 'P-UNKNOWN',
        orderId: `order-of-${code}`,
        raw: {},
      },
      activated: true,
    },
    h.clock.now(),
  );
}

const row = (code: string) =>
  h.database.db
    .selectFrom('license_codes')
    .selectAll()
    .where('code', '=', code)
    .executeTakeFirstOrThrow();
const events = (code: string) =>
  h.database.db.selectFrom('license_code_events').selectAll().where('code', '=', code).execute();

describe('License codes 2.0 activities through the gateway (spec §8)', () => {
  it('through the simulated marketplace: activate, renew, freeze, unfreeze, release, each accepted at once', async () => {
    // The simulated KooGallery: its book of codes and APIs, sending the three activities to the
    // gateway; the seller's client activates a code on it, as `kgd license codes activate` does.
    const sim = new Hono();
    const creds = { ak: 'SELLERAK0000000001', sk: 'seller-secret-key-0001' };
    const book = registerLicenseCodeApi(sim, {
      clock: h.clock,
      timer: createVirtualTimer(h.clock),
      client: createMarketplaceClient({
        clock: h.clock,
        fetch: (url, init) => Promise.resolve(h.app.request(String(url), init)),
      }),
      sellerCredentials: () => [creds],
      target: () => ({ url: BASE, key: KEY }),
    });
    const seller = createLicenseCodeClient({
      hosts: ['https://mkt.example.com'],
      ...creds,
      clock: h.clock,
      timeoutMs: 1000,
      fetch: ((url: string | URL, init?: RequestInit) => {
        const headers = new Headers(init?.headers);
        headers.set('host', new URL(String(url)).host);
        return sim.request(String(url), { ...init, headers });
      }) as typeof fetch,
    });
    const [issued] = book.issue({
      orderId: 'CS-SIM-1',
      productId: 'P-SIM',
      expireTime: new Date('2027-11-23T08:00:00Z'),
    });
    const code = issued!.code;
    const activated = await seller.activate(code, h.clock.now());
    if (activated.kind !== 'activated') throw new Error(`not activated: ${activated.kind}`);
    await recordCodeState(
      h.database.db,
      { state: activated.state, activated: true },
      h.clock.now(),
    );
    expect(await row(code)).toMatchObject({ marketplace_status: 'ALIVE', frozen: false });

    const renewed = await book.renew(code, new Date('2028-11-23T08:00:00Z'));
    expect(renewed).toMatchObject({ accepted: true, attempts: 1, resultCodes: ['000000'] });
    expect((await row(code)).expires_at).toEqual(new Date('2028-11-23T08:00:00Z'));
    expect(await book.setFrozen(code, true)).toMatchObject({ accepted: true, attempts: 1 });
    expect((await row(code)).frozen).toBe(true);
    expect(await book.setFrozen(code, false)).toMatchObject({ accepted: true, attempts: 1 });
    expect((await row(code)).frozen).toBe(false);
    expect(await book.release(code)).toMatchObject({ accepted: true, attempts: 1 });
    expect((await row(code)).released_at).not.toBeNull();
    expect((await seller.query(code)).status).toBe('RELEASED');
    expect((await events(code)).map((e) => e.activity)).toEqual([
      'refreshLicenseCode',
      'updateLicenseCodeStatus',
      'updateLicenseCodeStatus',
      'releaseLicenseCode',
    ]);
  });

  it('records a renewal once however often it is resent, and answers 000000', async () => {
    await knownCode('LC-GW-1');
    const body = {
      activity: 'refreshLicenseCode',
      scene: 'RENEWAL',
      license: 'LC-GW-1',
      orderId: 'CS-R1',
      orderLineId: 'CS-R1-000001',
      expireTime: '20280101000000',
    };
    for (let i = 0; i < 3; i++) {
      const a = await v2(body);
      expect(a.body.resultCode).toBe('000000');
      expect(a.bodySignValid).toBe(true);
    }
    expect((await row('LC-GW-1')).expires_at).toEqual(new Date('2028-01-01T00:00:00Z'));
    expect(await events('LC-GW-1')).toHaveLength(1);
  });

  it('freezes and unfreezes on state, releases once', async () => {
    await knownCode('LC-GW-2');
    const status = (s: string) =>
      v2({ activity: 'updateLicenseCodeStatus', license: 'LC-GW-2', status: s });
    for (const s of ['FREEZE', 'FREEZE', 'UNFREEZE', 'FREEZE'])
      expect((await status(s)).body.resultCode).toBe('000000');
    expect((await row('LC-GW-2')).frozen).toBe(true);
    const release = { activity: 'releaseLicenseCode', license: 'LC-GW-2' };
    expect((await v2(release)).body.resultCode).toBe('000000');
    expect((await v2(release)).body.resultCode).toBe('000000');
    expect((await row('LC-GW-2')).released_at).not.toBeNull();
    expect((await events('LC-GW-2')).map((e) => e.activity)).toEqual([
      'updateLicenseCodeStatus',
      'updateLicenseCodeStatus',
      'updateLicenseCodeStatus',
      'releaseLicenseCode',
    ]);
  });

  it('answers 000003 for an unknown code, 000000 to a test call for any code, changing nothing', async () => {
    const call = { activity: 'updateLicenseCodeStatus', license: 'LC-NEVER', status: 'FREEZE' };
    expect((await v2(call)).body.resultCode).toBe('000003');
    expect((await v2({ ...call, testFlag: '1' })).body.resultCode).toBe('000000');
    await knownCode('LC-GW-3');
    expect((await v2({ ...call, license: 'LC-GW-3', testFlag: '1' })).body.resultCode).toBe(
      '000000',
    );
    expect((await row('LC-GW-3')).frozen).toBe(false);
    expect(await events('LC-GW-3')).toHaveLength(0);
  });
});

describe('V1 refreshLicense and releaseLicense (spec §5)', () => {
  it('re-issues the getLicense license with the new expiry, the same on resend; release answers 000000 twice', async () => {
    const bought = await callV1(h, {
      activity: 'getLicense',
      customerId: 'c1',
      businessId: 'b-lic-1',
      orderId: 'CS-LIC-1',
      productId: 'P-UNKNOWN',
      expireTime: '20270101000000',
    });
    expect(bought.body.resultCode).toBe('000000');
    const instanceId = bought.body.instanceId as string;
    const renew = {
      activity: 'refreshLicense',
      instanceId,
      orderId: 'CS-LIC-RENEW',
      expireTime: '20280101000000',
    };
    const r1 = await callV1(h, renew);
    const r2 = await callV1(h, renew);
    expect(r1.body.resultCode).toBe('000000');
    expect(r1.body.license).toBeTruthy();
    expect(r1.body.license).not.toBe(bought.body.license);
    expect(r2.body.license).toBe(r1.body.license);
    const lic = await h.database.db
      .selectFrom('licenses')
      .selectAll()
      .where('idempotency_key', '=', `license-renew:${instanceId}:CS-LIC-RENEW`)
      .executeTakeFirstOrThrow();
    expect(lic.expires_at).toEqual(new Date('2028-01-01T00:00:00Z'));
    const release = { activity: 'releaseLicense', instanceId, orderId: 'CS-LIC-1' };
    expect((await callV1(h, release)).body.resultCode).toBe('000000');
    expect((await callV1(h, release)).body.resultCode).toBe('000000');
    expect((await callV1(h, { ...renew, instanceId: 'nope' })).body.resultCode).toBe('000003');
  });
});
