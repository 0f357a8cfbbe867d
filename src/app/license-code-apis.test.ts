/** The seller-side license-code client against the simulated marketplace: where app wires the two. */
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../test/support/fakes/manual-clock.js';
import { createVirtualTimer } from '../../test/support/marketplace-sim/virtual-timer.js';
import { createLicenseCodeClient } from '../marketplace/license-code-client.js';
import { Permanent, Retryable } from '../platform/errors.js';
import { registerLicenseCodeApi } from '../simulator/marketplace/license-code-api.js';
import { createMarketplaceClient } from '../simulator/marketplace/marketplace-client.js';

const AK = 'SELLERAK0000000001';
const SK = 'seller-secret-key-0001';
const HOST = 'https://mkt.example.com';

/** The simulated marketplace's license-code APIs, reached through app.request (real signing). */
function setup(credentials = { ak: AK, sk: SK }) {
  const clock = createManualClock({ start: new Date('2026-11-23T08:00:00Z'), auto: true });
  const app = new Hono();
  const book = registerLicenseCodeApi(app, {
    clock,
    timer: createVirtualTimer(clock),
    client: createMarketplaceClient({ clock }),
    sellerCredentials: () => [{ ak: AK, sk: SK }],
    target: () => undefined,
  });
  const sent: string[] = [];
  const doFetch = (async (url: string | URL, init?: RequestInit) => {
    sent.push(new URL(String(url)).pathname);
    // As fetch does: the Host header it signed with.
    const headers = new Headers(init?.headers);
    headers.set('host', new URL(String(url)).host);
    return app.request(String(url), { ...init, headers });
  }) as typeof fetch;
  const api = createLicenseCodeClient({
    hosts: [HOST],
    ...credentials,
    clock,
    timeoutMs: 1000,
    fetch: doFetch,
  });
  return { clock, book, api, sent };
}

describe('license code client against the simulated marketplace (spec §8)', () => {
  it('activates a code (v1), then answers 92020003 as already active, and queries it', async () => {
    const { book, api } = setup();
    const [issued] = book.issue({
      orderId: 'CS1',
      productId: 'P1',
      expireTime: new Date('2027-11-23T08:00:00Z'),
    });
    const r = await api.activate(issued!.code, new Date('2026-11-23T09:00:00Z'));
    expect(r).toMatchObject({
      kind: 'activated',
      state: {
        code: issued!.code,
        status: 'ALIVE',
        expireTime: new Date('2027-11-23T08:00:00Z'),
        productId: 'P1',
        orderId: 'CS1',
      },
    });
    expect(await api.activate(issued!.code)).toEqual({ kind: 'already-active' });
    expect(await api.query(issued!.code)).toMatchObject({
      status: 'ALIVE',
      activateTime: new Date('2026-11-23T09:00:00Z'),
    });
    void book.setFrozen(issued!.code, true).catch(() => undefined); // no target: status only
    expect((await api.query(issued!.code)).status).toBe('EXPIRED');
  });

  it('maps refusals to Permanent with the marketplace code: unknown, not activated, invalid batch', async () => {
    const { book, api } = setup();
    const [c] = book.issue({ orderId: 'CS2', productId: 'P1', expireTime: new Date('2027-01-01') });
    await expect(api.activate('NOPE')).rejects.toMatchObject({ code: '92020005' });
    await expect(api.activate('NOPE')).rejects.toBeInstanceOf(Permanent);
    await expect(api.query(c!.code)).rejects.toMatchObject({ code: '92020011' });
    await expect(api.activateMany([c!.code, 'NOPE'])).rejects.toMatchObject({ code: '92020020' });
    expect(await api.activateMany([c!.code])).toMatchObject({
      license_code_infos: [{ license: c!.code, status: 'ALIVE' }],
    });
  });

  it('reports software usage, checking exactly one of id / active_num per entry', async () => {
    const { book, api } = setup();
    const [c] = book.issue({ orderId: 'CS3', productId: 'P1', expireTime: new Date('2027-01-01') });
    await api.reportUsage([{ code: c!.code, usage: [{ id: 'client-1' }, { activeNum: 3 }] }]);
    expect(book.get(c!.code)!.usage[0]!.entries).toEqual([{ id: 'client-1' }, { active_num: 3 }]);
    await expect(api.reportUsage([])).rejects.toBeInstanceOf(Permanent);
  });

  it('is refused when signed with another secret key', async () => {
    const { book, api } = setup({ ak: AK, sk: 'wrong-secret' });
    const [c] = book.issue({ orderId: 'CS4', productId: 'P1', expireTime: new Date('2027-01-01') });
    await expect(api.activate(c!.code)).rejects.toBeInstanceOf(Permanent);
    expect(book.get(c!.code)!.status).toBe('ISSUED');
  });

  it('retries 92020001 and a host that does not answer, on the fallback host', async () => {
    const clock = createManualClock({ start: new Date('2026-11-23T08:00:00Z'), auto: true });
    const asked: string[] = [];
    const answers = [
      'down',
      { error_code: '92020001', error_msg: 'inner' },
      'down',
      {
        error_code: '92020000',
        error_msg: 'success',
        data: { license_code: 'L1', status: 'ALIVE' },
      },
    ];
    const doFetch = (async (url: string | URL) => {
      asked.push(new URL(String(url)).origin);
      const next = answers.shift();
      if (next === 'down' || !next) throw new TypeError('fetch failed');
      return new Response(JSON.stringify(next), { status: 200 });
    }) as typeof fetch;
    const api = createLicenseCodeClient({
      hosts: [HOST, 'https://mkt.example.cn'],
      ak: AK,
      sk: SK,
      clock,
      timeoutMs: 1000,
      fetch: doFetch,
    });
    expect(await api.query('L1')).toMatchObject({ code: 'L1', status: 'ALIVE' });
    expect(asked).toEqual([HOST, 'https://mkt.example.cn', HOST, 'https://mkt.example.cn']);
    const failing = createLicenseCodeClient({
      hosts: [HOST],
      ak: AK,
      sk: SK,
      clock,
      timeoutMs: 1000,
      attempts: 2,
      fetch: (async () => {
        throw new TypeError('fetch failed');
      }) as typeof fetch,
    });
    await expect(failing.query('L1')).rejects.toBeInstanceOf(Retryable);
  });
});
