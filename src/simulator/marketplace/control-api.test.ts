import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createSimulatorHarness,
  type SimulatorHarness,
  simKey,
} from '../../../test/support/marketplace-sim/simulator-harness.js';
import { signRequest } from '../../platform/apig-signing.js';
import { orderQueryPath } from './order-query-api.js';

let h: SimulatorHarness;
beforeEach(async () => {
  h = await createSimulatorHarness({ provisioningMs: 60_000 });
});
afterEach(() => h.close());

describe('control API', () => {
  it('shows the config with secrets masked and validates changes, naming the field', async () => {
    const shown = await h.api('GET', '/config');
    expect(shown.body.key).toBe(`***(${simKey.length} chars)`);
    expect(JSON.stringify(shown.body)).not.toContain(simKey);
    const bad = await h.api('PATCH', '/config', {
      productionUrl: 'ftp://nope',
      knobs: { duplicates: 0 },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: { field: string }) => i.field).sort()).toEqual([
      'knobs.duplicates',
      'productionUrl',
    ]);
    const notJson = await h.api('PATCH', '/config', '{nope');
    expect(notJson).toMatchObject({
      status: 400,
      body: { error: { issues: [{ field: '(body)' }] } },
    });
    const ok = await h.api('PATCH', '/config', {
      knobs: { resends: 1 },
      products: { OLD: { protocol: 'v1' } },
      sellerCredentials: [{ ak: 'AK1', sk: 'secret-sk-0001' }],
    });
    expect(ok.body.knobs).toMatchObject({ resends: 1, duplicates: 1 });
    expect(ok.body.productionUrl).toBe(h.productionUrl);
    expect(ok.body.sellerCredentials).toEqual([{ ak: 'AK1', sk: '***(14 chars)' }]);
  });

  it('buys (V2, waiting until ready), then acts on the instance and reads the ledger', async () => {
    const bought = await h.api('POST', '/orders', { productId: 'p', skuCode: 's', wait: 'done' });
    expect(bought.status).toBe(200);
    expect(bought.body.operation).toMatchObject({ kind: 'buy', status: 'succeeded' });
    expect(bought.body.instance).toMatchObject({ state: 'ready', protocol: 'v2' });
    expect(bought.body.instance.appInfo.userName).toBe('admin');
    expect(bought.body.order.orderLine[0].orderLineId).toBe(`${bought.body.order.orderId}-000001`);
    const id = bought.body.instance.instanceId;
    const renewed = await h.api('POST', `/instances/${id}/renew`, {
      periodType: 'year',
      wait: 'done',
    });
    expect(renewed.body.order.orderType).toBe('RENEW');
    expect(renewed.body.operation.status).toBe('succeeded');
    for (const action of ['expire', 'unfreeze', 'freeze']) {
      const r = await h.api('POST', `/instances/${id}/${action}`, { wait: 'done' });
      expect(r.body.operation, action).toMatchObject({ kind: action, status: 'succeeded' });
    }
    const up = await h.api('POST', `/instances/${id}/upgrade`, { skuCode: 'big', wait: 'done' });
    expect(up.body.instance.terms.productInfo.skuCode).toBe('big');
    const q = await h.api('POST', `/instances/${id}/query`, { wait: 'done' });
    expect(q.body.operation.status).toBe('succeeded');
    const rel = await h.api('POST', `/instances/${id}/release`, {
      unsubscribe: true,
      wait: 'done',
    });
    expect(rel.body.instance.state).toBe('released');
    const listed = await h.api('GET', '/instances');
    expect(listed.body.instances).toHaveLength(1);
    expect((await h.api('GET', `/instances/${id}`)).body.state).toBe('released');
    const ledger = await h.api('GET', '/ledger');
    expect(ledger.body.violations).toEqual([]);
    const activities = ledger.body.entries.map((e: { activity: string }) => e.activity);
    expect(activities[0]).toBe('newInstance');
    expect(activities.at(-1)).toBe('releaseInstance');
    const since = ledger.body.entries.at(-2).seq;
    expect((await h.api('GET', `/ledger?since=${since}`)).body.entries).toHaveLength(1);
    expect((await h.api('GET', '/ledger?since=-1')).status).toBe(400);
    const op = await h.api('GET', `/operations/${bought.body.operation.id}`);
    expect(op.body.status).toBe('succeeded');
    expect((await h.api('GET', '/operations')).body.operations.length).toBeGreaterThan(5);
    expect(
      (await h.api('GET', '/orders')).body.orders.some(
        (o: { orderType: string }) => o.orderType === 'UNSUBSCRIBE',
      ),
    ).toBe(true);
  });

  it('answers 400 / 404 with the field or the id named', async () => {
    const four = Array.from({ length: 4 }, (_, i) => ({ name: `n${i}`, value: 'v' }));
    const bad = await h.api('POST', '/orders', {
      productId: 'p',
      skuCode: 's',
      extendParams: four,
    });
    expect(bad).toMatchObject({
      status: 400,
      body: { error: { issues: [{ field: 'extendParams' }] } },
    });
    const wait = await h.api('POST', '/orders', { productId: 'p', skuCode: 's', wait: 'soon' });
    expect(wait.body.error.issues[0].field).toBe('wait');
    const missing = await h.api('POST', '/instances/nope/renew', {});
    expect(missing).toMatchObject({
      status: 404,
      body: { error: { message: 'no instance nope' } },
    });
    expect((await h.api('GET', '/instances/nope')).status).toBe(404);
    expect((await h.api('GET', '/orders/nope')).status).toBe(404);
    expect((await h.api('POST', '/orders/nope/notify', {})).status).toBe(404);
    const up = await h.api('POST', '/orders', { productId: 'p', skuCode: 's', wait: 'done' });
    const noSku = await h.api('POST', `/instances/${up.body.instance.instanceId}/upgrade`, {});
    expect(noSku.body.error.issues[0].field).toBe('skuCode');
  });

  it('raw calls with corruption, license, mock orders, reset', async () => {
    const raw = await h.api('POST', '/calls', {
      protocol: 'v2',
      activity: 'releaseInstance',
      fields: { instanceId: 'x' },
      corruption: { tamper: 'value' },
      wait: 'done',
    });
    expect(raw.body.operation).toMatchObject({ status: 'failed', resultCode: '000001' });
    const badRaw = await h.api('POST', '/calls', { activity: 'x' });
    expect(badRaw.body.error.issues[0].field).toBe('protocol');
    const lic = await h.api('POST', '/license', { productId: 'L', skuCode: 's', wait: 'done' });
    expect(lic.body.instance.license).toBe(`LIC-${lic.body.order.orderId}`);
    const mock = await h.api('POST', '/orders', { mockOrderId: 'MOCKONETIMENEW', wait: 'done' });
    expect(mock.body.instance).toMatchObject({ testFlag: '1', purchaseOrderId: 'MOCKONETIMENEW' });
    expect((await h.api('POST', '/reset')).body).toEqual({ ok: true });
    expect((await h.api('GET', '/ledger')).body.entries).toEqual([]);
  });

  it('serves the order query API on the same app to the configured seller AK/SK', async () => {
    await h.api('PATCH', '/config', {
      sellerCredentials: [{ ak: 'SELLERAK', sk: 'seller-sk-000001' }],
    });
    const bought = await h.api('POST', '/orders', { productId: 'p', skuCode: 's', wait: 'sent' });
    const url = `${h.sim.url}${orderQueryPath}?orderId=${bought.body.order.orderId}`;
    const { host: _host, ...headers } = signRequest(
      { method: 'GET', url, headers: {} },
      { ak: 'SELLERAK', sk: 'seller-sk-000001' },
      h.clock.now(),
    );
    const res = await fetch(url, { headers });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { orderInfo: { orderId: string } };
    expect(body.orderInfo.orderId).toBe(bought.body.order.orderId);
    const queries = await h.api('GET', '/order-queries');
    expect(queries.body.queries).toEqual([
      expect.objectContaining({
        orderId: bought.body.order.orderId,
        resultCode: 'MKT.0000',
        ak: 'SELLERAK',
      }),
    ]);
  });
});
