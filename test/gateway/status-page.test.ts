import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, createGatewayHarness, type GatewayHarness, KEY } from '../support/gateway.js';
import { decryptAppInfo, readAnswer, v1Request } from '../support/marketplace-calls.js';

let h: GatewayHarness;
beforeAll(async () => {
  h = await createGatewayHarness();
});
afterAll(() => h.close());

describe('buyer status page', () => {
  it('shows the state at the frontEndUrl, and never the password', async () => {
    const a = await readAnswer(
      await h.app.request(
        v1Request(
          BASE,
          {
            activity: 'newInstance',
            businessId: 'b',
            orderId: 'SP-1',
            skuCode: 's',
            productId: 'prod-demo',
            customerName: 'Secret Buyer Ltd',
          },
          KEY,
          h.clock.now(),
        ),
      ),
      KEY,
    );
    const appInfo = a.body.appInfo as Record<string, string>;
    const { password } = decryptAppInfo(appInfo, KEY, 1);
    const url = new URL(appInfo.frontEndUrl!);
    const page = await h.app.request(url.pathname);
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain('Your deployment is queued');
    expect(text).toContain('prod-demo');
    expect(text).not.toContain(password!);
    expect(text).not.toContain('Secret Buyer');
    await h.database.db
      .updateTable('instances')
      .set({ status: 'ready', front_end_url: 'http://127.20.0.9:8080/' })
      .where('id', '=', a.body.instanceId as string)
      .execute();
    const json = await (await h.app.request(`${url.pathname}?format=json`)).json();
    expect(json).toMatchObject({ status: 'ready', applicationUrl: 'http://127.20.0.9:8080/' });
    expect(JSON.stringify(json)).not.toContain(password!);
  });

  it('answers 404 for an unknown deployment, HTML and JSON', async () => {
    expect((await h.app.request('/i/kgi-unknown')).status).toBe(404);
    const res = await h.app.request('/i/kgi-unknown', { headers: { accept: 'application/json' } });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
});
