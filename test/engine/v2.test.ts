import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngineHarness, type EngineHarness } from '../support/engine-harness.js';

let h: EngineHarness;
beforeAll(async () => {
  h = await createEngineHarness();
});
afterAll(() => h?.close());

describe('a V2 purchase', () => {
  it('reads the thin order from the order API, deploys, and queryInstance hands out the access information', async () => {
    const answer = await h.v2({
      activity: 'newInstance',
      orderId: 'MOCKPERIODYEARNEW',
      orderLineId: 'MOCKPERIODYEARNEW-000001',
      businessId: 'b-v2',
      testFlag: '0',
    });
    expect(answer.resultCode).toBe('000004');
    const id = answer.instanceId as string;
    const pending = await h.v2({ activity: 'queryInstance', instanceId: id, testFlag: '0' });
    expect(['000004', '000000']).toContain(pending.resultCode);
    const inst = await h.waitForStatus(id, 'ready');
    expect(inst).toMatchObject({
      product_id: 'OFFI-DEMO-LICENSE-MONTH',
      sku_code: 'basic',
      product_name: 'demo-license',
    });
    const logs = await h.database.db
      .selectFrom('operation_logs')
      .select('message')
      .where('instance_id', '=', id)
      .where('step', '=', 'read-order')
      .execute();
    expect(logs[0]?.message).toContain('MOCKPERIODYEARNEW (NEW)');
    const ready = await h.v2({ activity: 'queryInstance', instanceId: id, testFlag: '0' });
    expect(ready.resultCode).toBe('000000');
    const info = (ready.info as { appInfo: Record<string, string> }[])[0]!.appInfo;
    expect(info.adminUrl).toBe(`http://${inst.eip}:8080/admin`);
    // V2 answers the credentials in plain text (spec §2.5).
    const creds = info;
    expect(creds.userName).toBe('admin');
    // The buyer's admin password is the one the app was configured with.
    const admin = await fetch(info.adminUrl!, {
      headers: {
        authorization: `Basic ${Buffer.from(`admin:${creds.password}`).toString('base64')}`,
      },
    });
    expect(admin.status).toBe(200);
    const wrong = await fetch(info.adminUrl!, {
      headers: { authorization: `Basic ${Buffer.from('admin:nope').toString('base64')}` },
    });
    expect(wrong.status).toBe(401);
  });
});
