import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLicense } from '../../src/licenses/license-token.js';
import { encryptField } from '../../src/marketplace/protocol/field-crypto.js';
import {
  BASE,
  callV1,
  countRows,
  createGatewayHarness,
  type GatewayHarness,
  KEY,
} from '../support/gateway.js';
import { decryptAppInfo, readAnswer, v1Request } from '../support/marketplace-calls.js';

let h: GatewayHarness;
beforeAll(async () => {
  h = await createGatewayHarness();
});
afterAll(() => h.close());

let seq = 0;
const v1 = (params: Record<string, string>) => callV1(h, params);

function purchase(orderId: string, extra: Record<string, string> = {}) {
  seq++;
  return {
    activity: 'newInstance',
    businessId: `biz-${seq}`,
    orderId,
    customerId: 'cust-1',
    customerName: 'Buyer Co',
    skuCode: 'sku-basic',
    productId: 'prod-demo',
    chargingMode: '1',
    periodType: 'month',
    periodNumber: '1',
    expireTime: '20261223080000',
    mobilePhone: encryptField('13800000000', KEY, 1),
    email: encryptField('buyer@example.com', KEY, 1),
    saasExtendParams: Buffer.from(
      JSON.stringify([{ name: 'region', value: 'cn-north-4' }]),
    ).toString('base64'),
    ...extra,
  };
}

describe('V1 newInstance', () => {
  it('creates one instance and a pending deploy, answers 000000 with encrypted access information', async () => {
    const a = await v1(purchase('ORD-V1-1'));
    expect(a.status).toBe(200);
    expect(a.bodySignValid).toBe(true);
    expect(a.body.resultCode).toBe('000000');
    const id = a.body.instanceId as string;
    expect(id.length).toBeLessThanOrEqual(64);
    const appInfo = a.body.appInfo as Record<string, string>;
    expect(appInfo.frontEndUrl).toBe(`https://deploy.example.com/i/${id}`);
    expect(a.body.encryptType).toBe('1');
    const creds = decryptAppInfo(appInfo, KEY, 1);
    expect(creds.userName).toBe('admin');
    expect(creds.password).toMatch(/^.{16}$/);
    const op = await h.database.db
      .selectFrom('operations')
      .selectAll()
      .where('instance_id', '=', id)
      .execute();
    expect(op.map((o) => [o.kind, o.status])).toEqual([['deploy', 'pending']]);
    const inst = await h.database.db
      .selectFrom('instances')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(inst.private_sealed).toMatch(/^kgd1\./); // contacts and extension values sealed
    expect(JSON.stringify(inst.order_params)).not.toContain('cn-north-4');
    expect(inst.expires_at?.toISOString()).toBe('2026-12-23T08:00:00.000Z');
  });

  it('answers a resend (new businessId, new signature) with the same instance and credentials', async () => {
    const first = await v1(purchase('ORD-V1-2'));
    const again = await v1(purchase('ORD-V1-2'));
    expect(again.body.instanceId).toBe(first.body.instanceId);
    expect(decryptAppInfo(again.body.appInfo as Record<string, string>, KEY, 1)).toEqual(
      decryptAppInfo(first.body.appInfo as Record<string, string>, KEY, 1),
    );
    const rows = await h.database.db
      .selectFrom('inbox')
      .select(['duplicate', 'result_code'])
      .where('instance_id', '=', first.body.instanceId as string)
      .orderBy('id')
      .execute();
    expect(rows).toEqual([
      { duplicate: false, result_code: '000000' },
      { duplicate: true, result_code: '000000' },
    ]);
  });

  it('encrypts with AES-128 when configured with encryptType 2', async () => {
    const h2 = await h.restart({ KGD_ENCRYPT_TYPE: '2' });
    try {
      h2.clock.advance(5);
      const res = await h2.app.request(
        v1Request(BASE, purchase('ORD-V1-AES128'), KEY, h2.clock.now()),
      );
      const a = await readAnswer(res, KEY);
      expect(a.body.encryptType).toBe('2');
      expect(decryptAppInfo(a.body.appInfo as Record<string, string>, KEY, 2).userName).toBe(
        'admin',
      );
    } finally {
      await h2.database.close();
      h = await h.restart();
    }
  });
});

describe('V1 lifecycle activities', () => {
  let id: string;
  beforeAll(async () => {
    id = (await v1(purchase('ORD-V1-LIFE'))).body.instanceId as string;
  });
  const ops = async () =>
    (
      await h.database.db
        .selectFrom('operations')
        .select(['kind', 'params'])
        .where('instance_id', '=', id)
        .orderBy('seq')
        .execute()
    ).map((o) => o.kind);

  it('refreshInstance records a renewal once, with its scene', async () => {
    const params = {
      activity: 'refreshInstance',
      instanceId: id,
      orderId: 'REN-1',
      expireTime: '20270123080000',
      periodType: 'month',
      periodNumber: '1',
      orderAmount: '99',
    };
    expect((await v1(params)).body.resultCode).toBe('000000');
    expect((await v1(params)).body.resultCode).toBe('000000');
    expect(await ops()).toEqual(['deploy', 'renew']);
    const trial = await v1({
      activity: 'refreshInstance',
      instanceId: id,
      orderId: 'REN-2',
      trialToFormal: '1',
      expireTime: '20270223080000',
    });
    expect(trial.body.resultCode).toBe('000000');
    const cancelled = await v1({
      activity: 'refreshInstance',
      instanceId: id,
      orderId: 'REN-3',
      orderAmount: '-99',
      expireTime: '20270123080000',
    });
    expect(cancelled.body.resultCode).toBe('000000');
    const scenes = await h.database.db
      .selectFrom('operations')
      .select('params')
      .where('instance_id', '=', id)
      .where('kind', '=', 'renew')
      .orderBy('seq')
      .execute();
    expect(scenes.map((s) => (s.params as { scene: string }).scene)).toEqual([
      'RENEWAL',
      'TRIAL_TO_FORMAL',
      'UNSUBSCRIBE_RENEWAL_PERIOD',
    ]);
    const inst = await h.database.db
      .selectFrom('instances')
      .select('expires_at')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(inst.expires_at?.toISOString()).toBe('2027-01-23T08:00:00.000Z');
  });

  it('expireInstance freezes once; instanceStatus NORMAL / FREEZE change the state only when it differs', async () => {
    expect((await v1({ activity: 'expireInstance', instanceId: id })).body.resultCode).toBe(
      '000000',
    );
    expect((await v1({ activity: 'expireInstance', instanceId: id })).body.resultCode).toBe(
      '000000',
    );
    expect(
      (await v1({ activity: 'instanceStatus', instanceId: id, instanceStatus: 'FREEZE' })).body
        .resultCode,
    ).toBe('000000');
    expect(
      (await v1({ activity: 'instanceStatus', instanceId: id, instanceStatus: 'NORMAL' })).body
        .resultCode,
    ).toBe('000000');
    expect(
      (await v1({ activity: 'instanceStatus', instanceId: id, instanceStatus: 'NORMAL' })).body
        .resultCode,
    ).toBe('000000');
    expect((await ops()).slice(-2)).toEqual(['expire', 'unfreeze']);
  });

  it('upgrade records the new spec', async () => {
    const a = await v1({
      activity: 'upgrade',
      instanceId: id,
      orderId: 'UPG-1',
      skuCode: 'sku-pro',
      productId: 'prod-demo-pro',
      amount: '10',
    });
    expect(a.body.resultCode).toBe('000000');
    const op = await h.database.db
      .selectFrom('operations')
      .select('params')
      .where('instance_id', '=', id)
      .where('kind', '=', 'upgrade')
      .executeTakeFirstOrThrow();
    expect(op.params).toMatchObject({ skuCode: 'sku-pro', linear: { amount: '10' } });
  });

  it('releaseInstance records one release; a repeat answers success; later renewals answer 000003', async () => {
    expect(
      (await v1({ activity: 'releaseInstance', instanceId: id, orderId: 'ORD-V1-LIFE' })).body
        .resultCode,
    ).toBe('000000');
    expect((await v1({ activity: 'releaseInstance', instanceId: id })).body.resultCode).toBe(
      '000000',
    );
    expect((await ops()).filter((k) => k === 'release')).toHaveLength(1);
    expect(
      (await v1({ activity: 'refreshInstance', instanceId: id, orderId: 'REN-9' })).body.resultCode,
    ).toBe('000003');
  });

  it('answers 000003 for an unknown instance, for every instance activity', async () => {
    for (const params of [
      { activity: 'refreshInstance', instanceId: 'kgi-nope', orderId: 'x' },
      { activity: 'expireInstance', instanceId: 'kgi-nope' },
      { activity: 'releaseInstance', instanceId: 'kgi-nope' },
      { activity: 'upgrade', instanceId: 'kgi-nope', orderId: 'x' },
      { activity: 'instanceStatus', instanceId: 'kgi-nope', instanceStatus: 'FREEZE' },
      { activity: 'queryInstance', instanceId: 'kgi-nope' },
    ] as Record<string, string>[]) {
      const a = await v1(params);
      expect([params.activity, a.body.resultCode]).toEqual([params.activity, '000003']);
      expect(a.bodySignValid).toBe(true);
    }
  });
});

describe('V1 getLicense', () => {
  it('issues a signed license bound to the machine code, the same one for a resent order', async () => {
    const params = {
      activity: 'getLicense',
      businessId: 'b-lic',
      orderId: 'LIC-1',
      customerId: 'c9',
      customerName: 'Lic Co',
      skuCode: 'sku-lic',
      productId: 'prod-lic',
      chargingMode: '1',
      expireTime: '20271123080000',
      amount: '5',
      saasExtendParams: Buffer.from(
        JSON.stringify([{ name: 'machineCode', value: 'MC-42' }]),
      ).toString('base64'),
    };
    const a = await v1(params);
    expect(a.body.resultCode).toBe('000000');
    const check = verifyLicense(
      a.body.license as string,
      h.deps.licenses.publicKeyPem,
      h.clock.now(),
    );
    expect(check).toMatchObject({
      valid: true,
      expired: false,
      document: {
        orderId: 'LIC-1',
        boundTo: { machineCode: 'MC-42' },
        limits: { amount: 5 },
        expiresAt: '2027-11-23T08:00:00.000Z',
      },
    });
    const again = await v1({ ...params, businessId: 'b-lic-2' });
    expect(again.body.license).toBe(a.body.license);
    expect(again.body.instanceId).toBe(a.body.instanceId);
    expect(await countRows(h, 'licenses')).toBe(1);
  });

  it('refuses a periodic license without an expiry with 000902', async () => {
    const a = await v1({
      activity: 'getLicense',
      orderId: 'LIC-2',
      chargingMode: '1',
      customerId: 'c',
    });
    expect(a.body.resultCode).toBe('000902');
  });
});

describe('V1 field details (spec §5)', () => {
  it('takes a customerId of up to 100 characters; 101 answers 000002 and records nothing', async () => {
    const long = 'c'.repeat(100);
    const a = await v1(purchase('ORD-V1-CUST100', { customerId: long }));
    expect(a.body.resultCode).toBe('000000');
    const inst = await h.database.db
      .selectFrom('instances')
      .select('customer_id')
      .where('id', '=', a.body.instanceId as string)
      .executeTakeFirstOrThrow();
    expect(inst.customer_id).toBe(long);
    const counts = async () => [await countRows(h, 'instances'), await countRows(h, 'operations')];
    const before = await counts();
    const b = await v1(purchase('ORD-V1-CUST101', { customerId: `${long}c` }));
    expect(b.body).toMatchObject({
      resultCode: '000002',
      resultMsg: expect.stringContaining('customerId: at most 100 characters'),
    });
    expect(await counts()).toEqual(before);
  });

  it('writes a Chinese memo as \\uXXXX escapes that decode to the text, Body-Sign over those bytes', async () => {
    const id = (await v1(purchase('ORD-V1-MEMO'))).body.instanceId as string;
    await h.database.db
      .updateTable('instances')
      .set({ status: 'ready', memo: '中文 说明 ✓' })
      .where('id', '=', id)
      .execute();
    const q = await v1({ activity: 'queryInstance', instanceId: id });
    expect(q.raw).toContain('"memo":"\\u4e2d\\u6587 \\u8bf4\\u660e \\u2713"');
    expect(q.raw).toMatch(/^[\x20-\x7e]*$/);
    const info = (q.body.info as { appInfo: { memo: string } }[])[0]!;
    expect(info.appInfo.memo).toBe('中文 说明 ✓');
    expect(q.bodySignValid).toBe(true);
  });
});
