import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callV2, createGatewayHarness, type GatewayHarness } from '../support/gateway.js';

let h: GatewayHarness;
beforeAll(async () => {
  h = await createGatewayHarness();
});
afterAll(() => h.close());

const v2 = (body: Record<string, unknown> | string) => callV2(h, body);

const thin = (orderId: string, businessId = `b-${orderId}`) => ({
  activity: 'newInstance',
  orderId,
  orderLineId: `${orderId}-000001`,
  businessId,
  testFlag: '0',
});

async function markReady(id: string) {
  await h.database.db
    .updateTable('instances')
    .set({
      status: 'ready',
      front_end_url: 'http://127.20.0.5:8080/',
      admin_url: 'http://127.20.0.5:8080/admin',
      ready_at: h.clock.now(),
    })
    .where('id', '=', id)
    .execute();
}

describe('V2 newInstance and queryInstance', () => {
  it('answers 000004 with an instanceId, then queryInstance reports progress until ready', async () => {
    const a = await v2(thin('CS-V2-1'));
    expect(a.body).toMatchObject({ resultCode: '000004' });
    expect(a.bodySignValid).toBe(true);
    const id = a.body.instanceId as string;
    const q1 = await v2({ activity: 'queryInstance', instanceId: id, testFlag: '0' });
    expect(q1.body.resultCode).toBe('000004');
    expect(q1.body.info).toEqual([{ instanceId: id }]);
    await markReady(id);
    const q2 = await v2({ activity: 'queryInstance', instanceId: id });
    expect(q2.body.resultCode).toBe('000000');
    const info = (q2.body.info as { instanceId: string; appInfo: Record<string, string> }[])[0]!;
    expect(info.appInfo.frontEndUrl).toBe(`https://deploy.example.com/i/${id}`);
    expect(info.appInfo.adminUrl).toBe('http://127.20.0.5:8080/admin');
    // V2 answers the credentials in plain text and says nothing of encryption (spec §2.5, §6).
    expect(q2.body).not.toHaveProperty('encryptType');
    expect(info.appInfo.userName).toBe('admin');
    expect(info.appInfo.password).toMatch(/^\S{8,128}$/);
    expect(Object.keys(info.appInfo).sort()).toEqual([
      'adminUrl',
      'frontEndUrl',
      'memo',
      'password',
      'userName',
    ]);
    // A resend after ready answers success with the same instance.
    const again = await v2(thin('CS-V2-1', 'b-other'));
    expect(again.body).toMatchObject({ resultCode: '000000', instanceId: id });
  });

  it('accepts the older inline body (buyerInfo / orderInfo) and records its order details', async () => {
    const a = await v2({
      activity: 'newInstance',
      testFlag: 1,
      buyerInfo: { customerId: 'cu-7', customerName: 'Inline Co', userId: 'u7' },
      orderInfo: [
        {
          businessId: 'b-inline',
          orderId: 'CS-INLINE',
          orderLineId: 'CS-INLINE-000001',
          trialFlag: '1',
          chargingMode: 'PERIOD',
          periodType: 'month',
          periodNumber: 1,
          expireTime: '20261223000000',
          productInfo: [{ skuCode: 'sku-x', productId: 'prod-x', linearValue: 3 }],
          extendParams: [{ name: 'adminEmail', value: 'ops@buyer.example' }],
        },
      ],
    });
    expect(a.body.resultCode).toBe('000004');
    const inst = await h.database.db
      .selectFrom('instances')
      .selectAll()
      .where('id', '=', a.body.instanceId as string)
      .executeTakeFirstOrThrow();
    expect(inst).toMatchObject({
      product_id: 'prod-x',
      sku_code: 'sku-x',
      customer_name: 'Inline Co',
      trial: true,
      test: true,
      order_line_id: 'CS-INLINE-000001',
    });
  });

  it('queries up to 100 ids at once: 000003 when none is known, mixed states reported', async () => {
    expect(
      (await v2({ activity: 'queryInstance', instanceId: 'kgi-a,kgi-b' })).body.resultCode,
    ).toBe('000003');
    const one = (await v2(thin('CS-V2-Q1'))).body.instanceId as string;
    const two = (await v2(thin('CS-V2-Q2'))).body.instanceId as string;
    await markReady(one);
    const q = await v2({ activity: 'queryInstance', instanceId: `${one},${two},kgi-unknown` });
    expect(q.body.resultCode).toBe('000004');
    expect((q.body.info as unknown[]).length).toBe(2);
    const tooMany = Array.from({ length: 101 }, (_, i) => `kgi-${i}`).join(',');
    expect((await v2({ activity: 'queryInstance', instanceId: tooMany })).body).toMatchObject({
      resultCode: '000002',
      resultMsg: expect.stringContaining('100'),
    });
  });
});

describe('V2 lifecycle activities', () => {
  let id: string;
  beforeAll(async () => {
    id = (await v2(thin('CS-V2-LIFE'))).body.instanceId as string;
  });
  const kinds = async () =>
    (
      await h.database.db
        .selectFrom('operations')
        .select('kind')
        .where('instance_id', '=', id)
        .orderBy('seq')
        .execute()
    ).map((o) => o.kind);

  it('refreshInstance accepts all four scenes, each once', async () => {
    for (const scene of [
      'TRIAL_TO_FORMAL',
      'RENEWAL',
      'RENEWAL_CHANGE',
      'UNSUBSCRIBE_RENEWAL_PERIOD',
    ]) {
      const body = {
        activity: 'refreshInstance',
        scene,
        orderId: `R-${scene}`,
        orderLineId: `R-${scene}-000001`,
        instanceId: id,
        productId: 'prod-demo',
        expireTime: '20270101000000',
        testFlag: '0',
      };
      expect((await v2(body)).body.resultCode).toBe('000000');
      expect((await v2(body)).body.resultCode).toBe('000000');
    }
    expect((await kinds()).filter((k) => k === 'renew')).toHaveLength(4);
    expect(
      (await v2({ activity: 'refreshInstance', scene: 'LATER', orderId: 'x', instanceId: id }))
        .body,
    ).toMatchObject({ resultCode: '000002', resultMsg: expect.stringContaining('scene') });
  });

  it('updateInstanceStatus FREEZE / UNFREEZE, duplicates absorbed', async () => {
    for (const status of ['FREEZE', 'FREEZE', 'UNFREEZE', 'UNFREEZE', 'FREEZE']) {
      expect(
        (await v2({ activity: 'updateInstanceStatus', instanceId: id, status, testFlag: '0' })).body
          .resultCode,
      ).toBe('000000');
    }
    expect((await kinds()).filter((k) => k === 'freeze' || k === 'unfreeze')).toEqual([
      'freeze',
      'unfreeze',
      'freeze',
    ]);
  });

  it('upgradeInstance and orderNotify are recorded once each', async () => {
    const up = {
      activity: 'upgradeInstance',
      instanceId: id,
      orderId: 'UP-1',
      orderLineId: 'UP-1-000001',
      testFlag: '0',
    };
    expect((await v2(up)).body.resultCode).toBe('000000');
    expect((await v2(up)).body.resultCode).toBe('000000');
    const note = {
      activity: 'orderNotify',
      orderId: 'CS-V2-LIFE',
      orderLineId: 'CS-V2-LIFE-000001',
      testFlag: '0',
    };
    expect((await v2(note)).body.resultCode).toBe('000000');
    expect((await v2(note)).body.resultCode).toBe('000000');
    const k = await kinds();
    expect(k.filter((x) => x === 'upgrade')).toHaveLength(1);
    expect(k.filter((x) => x === 'sync')).toHaveLength(1);
  });

  it('releaseInstance once, repeats answer success', async () => {
    const rel = {
      activity: 'releaseInstance',
      instanceId: id,
      orderId: 'CS-V2-LIFE',
      orderLineId: 'CS-V2-LIFE-000001',
      testFlag: '0',
    };
    for (let i = 0; i < 3; i++) expect((await v2(rel)).body.resultCode).toBe('000000');
    expect((await kinds()).filter((k) => k === 'release')).toHaveLength(1);
    const inst = await h.database.db
      .selectFrom('instances')
      .select('status')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(inst.status).toBe('releasing');
  });
});

describe('V2 time forms (spec §4)', () => {
  const example = {
    activity: 'refreshInstance',
    expireTime: '20221124023618256',
    orderId: 'CS2211181819B4LVS',
    orderLineId: 'CS2211181819B4LVS-000001',
    productId: 'OFFI461867333479178240',
    scene: 'RENEWAL',
  };
  const expiry = async (id: string) =>
    (
      await h.database.db
        .selectFrom('instances')
        .select('expires_at')
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
    ).expires_at;

  it("refreshInstance with the documented example's 17-digit expireTime succeeds, milliseconds kept", async () => {
    const id = (await v2(thin('CS-V2-TIME17'))).body.instanceId as string;
    const a = await v2({ ...example, instanceId: id });
    expect(a.body).toMatchObject({ resultCode: '000000' });
    expect(new Date((await expiry(id))!).toISOString()).toBe('2022-11-24T02:36:18.256Z');
    const op = await h.database.db
      .selectFrom('operations')
      .select('params')
      .where('instance_id', '=', id)
      .where('kind', '=', 'renew')
      .executeTakeFirstOrThrow();
    const params = typeof op.params === 'string' ? JSON.parse(op.params) : op.params;
    expect(params.expireTime).toBe('2022-11-24T02:36:18.256Z');
  });

  it("refreshInstance with the table's 14-digit expireTime succeeds too", async () => {
    const id = (await v2(thin('CS-V2-TIME14'))).body.instanceId as string;
    const a = await v2({ ...example, instanceId: id, expireTime: '20271124023618' });
    expect(a.body.resultCode).toBe('000000');
    expect(new Date((await expiry(id))!).toISOString()).toBe('2027-11-24T02:36:18.000Z');
  });

  it('a malformed or impossible expireTime answers 000002 naming the field and changes nothing', async () => {
    const id = (await v2(thin('CS-V2-TIMEBAD'))).body.instanceId as string;
    for (const expireTime of ['2022112402361825', '20220230023618256', '2022-11-24 02:36:18']) {
      const a = await v2({
        ...example,
        orderId: `CS-BAD-${expireTime}`,
        instanceId: id,
        expireTime,
      });
      expect(a.body, expireTime).toMatchObject({
        resultCode: '000002',
        resultMsg: expect.stringContaining(
          'expireTime: expected yyyyMMddHHmmss or yyyyMMddHHmmssSSS',
        ),
      });
    }
    expect(await expiry(id)).toBeNull();
    const renewals = await h.database.db
      .selectFrom('operations')
      .select('id')
      .where('instance_id', '=', id)
      .where('kind', '=', 'renew')
      .execute();
    expect(renewals).toHaveLength(0);
  });
});

describe('V2 changeInstanceCheck (spec §6)', () => {
  const check = (instanceId: string, skuCode: string, extra: Record<string, unknown> = {}) =>
    v2({
      activity: 'changeInstanceCheck',
      instanceId,
      productInfo: {
        productId: 'OFFI-DEMO-LICENSE-MONTH',
        skuCode,
        linearValue: 10,
        productName: 'demo',
      },
      ...extra,
    });
  /** A deployed demo-license instance on sku `basic`, its deploy operation done. */
  async function deployed(orderId: string) {
    const id = (await v2(thin(orderId))).body.instanceId as string;
    await markReady(id);
    await h.database.db
      .updateTable('instances')
      .set({ product_id: 'OFFI-DEMO-LICENSE-MONTH', sku_code: 'basic' })
      .where('id', '=', id)
      .execute();
    await h.database.db
      .updateTable('operations')
      .set({ status: 'succeeded' })
      .where('instance_id', '=', id)
      .execute();
    return id;
  }
  const snapshot = async () => ({
    instances: await h.database.db.selectFrom('instances').selectAll().orderBy('id').execute(),
    operations: await h.database.db.selectFrom('operations').selectAll().orderBy('seq').execute(),
  });

  it("allows a change between the product's skus, read-only", async () => {
    const id = await deployed('CS-CHK-1');
    const before = await snapshot();
    expect((await check(id, 'pro')).body).toEqual({ resultCode: '000000', resultMsg: 'success' });
    expect((await check(id, 'basic')).body.resultCode).toBe('000000');
    expect(await snapshot()).toEqual(before);
  });

  it('refuses with 000005 and the reason: unknown sku, another product, an operation under way', async () => {
    const id = await deployed('CS-CHK-2');
    expect((await check(id, 'gold')).body).toMatchObject({
      resultCode: '000005',
      resultMsg: expect.stringContaining('sku gold is not one this seller deploys'),
    });
    const image = await v2({
      activity: 'changeInstanceCheck',
      instanceId: id,
      productInfo: { productId: 'OFFI-DEMO-IMAGE', skuCode: 'standard', productName: 'img' },
    });
    expect(image.body.resultMsg).toMatch(/another product \(demo-image\)/);
    await v2({ activity: 'updateInstanceStatus', instanceId: id, status: 'FREEZE' });
    expect((await check(id, 'pro')).body).toMatchObject({
      resultCode: '000005',
      resultMsg: expect.stringContaining('a freeze operation is pending'),
    });
  });

  it('refuses while deploying, after a failure or a release; 000003 for an unknown instance', async () => {
    const deploying = (await v2(thin('CS-CHK-3'))).body.instanceId as string;
    expect((await check(deploying, 'pro')).body.resultMsg).toMatch(/still being deployed/);
    const failed = await deployed('CS-CHK-4');
    await h.database.db
      .updateTable('instances')
      .set({ status: 'failed' })
      .where('id', '=', failed)
      .execute();
    expect((await check(failed, 'pro')).body.resultMsg).toMatch(/deployment failed/);
    const released = await deployed('CS-CHK-5');
    await v2({ activity: 'releaseInstance', instanceId: released });
    expect((await check(released, 'pro')).body).toMatchObject({
      resultCode: '000005',
      resultMsg: expect.stringContaining('releasing'),
    });
    expect((await check('kgi-nobody', 'pro')).body.resultCode).toBe('000003');
  });

  it('a debug call (testFlag=1) answers 000000 whatever the state; bad input answers 000002', async () => {
    expect((await check('kgi-nobody', 'gold', { testFlag: '1' })).body.resultCode).toBe('000000');
    const bad = await v2({
      activity: 'changeInstanceCheck',
      instanceId: 'kgi-x',
      productInfo: { productId: 'p', linearValue: 'ten', productName: 'n' },
    });
    expect(bad.body).toMatchObject({ resultCode: '000002' });
    expect(bad.body.resultMsg).toMatch(/productInfo\.skuCode/);
    expect(bad.body.resultMsg).toMatch(/productInfo\.linearValue/);
    const missing = await v2({ activity: 'changeInstanceCheck', instanceId: 'kgi-x' });
    expect(missing.body.resultMsg).toMatch(/productInfo: required/);
  });
});
