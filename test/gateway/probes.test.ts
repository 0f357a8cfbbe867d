import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callV1,
  callV2,
  countRows,
  createGatewayHarness,
  type GatewayHarness,
  KEY,
} from '../support/gateway.js';
import { decryptAppInfo } from '../support/marketplace-calls.js';

/**
 * Debug calls and the marketplace's probes (testFlag=1, spec §11): success for every activity
 * whatever the instance's state, test instances only ever touched, buyers' instances never.
 */
let h: GatewayHarness;
beforeAll(async () => {
  h = await createGatewayHarness();
});
afterAll(() => h.close());

const v1 = (params: Record<string, string>) => callV1(h, params);

const v2 = (body: Record<string, unknown> | string) => callV2(h, body);

const code = (a: { body: Record<string, unknown> }) => a.body.resultCode;

/** Every instance activity a saved debug case may hold, for one instance id. */
function v1Lifecycle(instanceId: string, testFlag: string): Record<string, string>[] {
  return [
    {
      activity: 'refreshInstance',
      instanceId,
      orderId: 'MOCKMONTYRENEW',
      expireTime: '20271123080000',
      testFlag,
    },
    { activity: 'expireInstance', instanceId, orderId: 'MOCKPERIODYEARNEW', testFlag },
    { activity: 'instanceStatus', instanceId, instanceStatus: 'NORMAL', testFlag },
    { activity: 'upgrade', instanceId, orderId: 'MOCKMONTYCHANGE', skuCode: 'sku-pro', testFlag },
    { activity: 'releaseInstance', instanceId, orderId: 'MOCKPERIODYEARNEW', testFlag },
  ];
}

function v2Lifecycle(instanceId: string, testFlag: string) {
  return [
    {
      activity: 'refreshInstance',
      scene: 'RENEWAL',
      instanceId,
      orderId: 'MOCKMONTYRENEW',
      orderLineId: 'MOCKMONTYRENEW-000001',
      expireTime: '20271123080000',
      testFlag,
    },
    { activity: 'updateInstanceStatus', instanceId, status: 'FREEZE', testFlag },
    { activity: 'updateInstanceStatus', instanceId, status: 'UNFREEZE', testFlag },
    {
      activity: 'upgradeInstance',
      instanceId,
      orderId: 'MOCKMONTYCHANGE',
      orderLineId: 'MOCKMONTYCHANGE-000001',
      testFlag,
    },
    { activity: 'releaseInstance', instanceId, testFlag },
  ];
}

async function rows() {
  return Promise.all([countRows(h, 'instances'), countRows(h, 'operations')]);
}

async function operationKinds(instanceId: string) {
  const ops = await h.database.db
    .selectFrom('operations')
    .select('kind')
    .where('instance_id', '=', instanceId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return ops.map((o) => o.kind);
}

async function setStatus(id: string, status: 'ready' | 'released' | 'failed') {
  await h.database.db
    .updateTable('instances')
    .set({ status, ...(status === 'released' ? { released_at: h.clock.now() } : {}) })
    .where('id', '=', id)
    .execute();
}

describe('testFlag=1 for an instance no one knows', () => {
  it('answers 000000 for every activity, V1 and V2, any number of times, and records nothing', async () => {
    const before = await rows();
    for (let round = 0; round < 2; round++) {
      for (const params of v1Lifecycle('kgi-probe-gone', '1')) {
        expect([params.activity, code(await v1(params))]).toEqual([params.activity, '000000']);
      }
      for (const body of v2Lifecycle('kgi-probe-gone', '1')) {
        expect([body.activity, code(await v2(body))]).toEqual([body.activity, '000000']);
      }
      const q1 = await v1({
        activity: 'queryInstance',
        instanceId: 'kgi-probe-gone',
        testFlag: '1',
      });
      expect(code(q1)).toBe('000000');
      const q2 = await v2({
        activity: 'queryInstance',
        instanceId: 'kgi-probe-gone,kgi-probe-x',
        testFlag: '1',
      });
      expect(code(q2)).toBe('000000');
      const info = q2.body.info as { instanceId: string; appInfo: Record<string, string> }[];
      expect(info.map((i) => i.instanceId)).toEqual(['kgi-probe-gone', 'kgi-probe-x']);
      expect(info[0]!.appInfo.frontEndUrl).toBe('https://deploy.example.com/i/kgi-probe-gone');
      expect(decryptAppInfo(info[1]!.appInfo, KEY, 1)).toEqual({});
    }
    expect(await rows()).toEqual(before);
    const inbox = await h.database.db
      .selectFrom('inbox')
      .select(['test', 'result_code'])
      .where('activity', '!=', 'newInstance')
      .execute();
    expect(inbox.length).toBeGreaterThanOrEqual(2 * 12);
    expect(inbox.every((r) => r.test && r.result_code === '000000')).toBe(true);
  });

  it('still refuses bad input in a test call with 000002, recording nothing', async () => {
    const before = await rows();
    const a = await v2({
      activity: 'refreshInstance',
      scene: 'RENEWAL',
      instanceId: 'kgi-x',
      testFlag: '1',
    });
    expect(a.body).toMatchObject({
      resultCode: '000002',
      resultMsg: expect.stringContaining('orderId'),
    });
    const b = await v1({
      activity: 'instanceStatus',
      instanceId: 'kgi-x',
      instanceStatus: 'ON',
      testFlag: '1',
    });
    expect(code(b)).toBe('000002');
    expect(await rows()).toEqual(before);
  });

  it('keeps 000003 for the same calls without testFlag (a buyer’s unknown instance)', async () => {
    for (const params of v1Lifecycle('kgi-real-gone', '0')) {
      expect([params.activity, code(await v1(params))]).toEqual([params.activity, '000003']);
    }
    for (const body of v2Lifecycle('kgi-real-gone', '0')) {
      expect([body.activity, code(await v2(body))]).toEqual([body.activity, '000003']);
    }
    expect(code(await v2({ activity: 'queryInstance', instanceId: 'kgi-real-gone' }))).toBe(
      '000003',
    );
  });
});

describe('testFlag=1 for a test instance', () => {
  it('answers success before, during and after its release, acting once on each change', async () => {
    const buy = {
      activity: 'newInstance',
      businessId: 'b-probe-1',
      orderId: 'MOCKPERIODYEARNEW',
      customerId: 'mock-customer',
      customerName: 'Mock',
      productId: 'OFFI-MOCK',
      skuCode: 'mock-sku',
      chargingMode: '1',
      periodType: 'year',
      periodNumber: '1',
      expireTime: '20271123080000',
      testFlag: '1',
    };
    const first = await v1(buy);
    expect(code(first)).toBe('000000');
    const id = first.body.instanceId as string;
    // Provisioning: V2 queryInstance may say 000004 briefly, never 000003 or 000005.
    expect(code(await v2({ activity: 'queryInstance', instanceId: id, testFlag: '1' }))).toBe(
      '000004',
    );
    await setStatus(id, 'failed');
    const failed = await v2({ activity: 'queryInstance', instanceId: id, testFlag: '1' });
    expect(failed.body).toMatchObject({ resultCode: '000000', info: [{ instanceId: id }] });
    await setStatus(id, 'ready');

    for (const params of v1Lifecycle(id, '1')) {
      expect([params.activity, code(await v1(params))]).toEqual([params.activity, '000000']);
    }
    expect(await operationKinds(id)).toEqual([
      'deploy',
      'renew',
      'expire',
      'unfreeze',
      'upgrade',
      'release',
    ]);
    await setStatus(id, 'released');

    // The next morning's probe: the same cases, the same ids, after the release.
    for (let round = 0; round < 2; round++) {
      const again = await v1({ ...buy, businessId: `b-probe-again-${round}` });
      expect(again.body).toMatchObject({ resultCode: '000000', instanceId: id });
      for (const params of v1Lifecycle(id, '1')) {
        expect([params.activity, code(await v1(params))]).toEqual([params.activity, '000000']);
      }
      for (const body of v2Lifecycle(id, '1')) {
        expect([body.activity, code(await v2(body))]).toEqual([body.activity, '000000']);
      }
      expect(code(await v1({ activity: 'queryInstance', instanceId: id, testFlag: '1' }))).toBe(
        '000000',
      );
      expect(code(await v2({ activity: 'queryInstance', instanceId: id, testFlag: '1' }))).toBe(
        '000000',
      );
    }
    // Nothing recorded after the release: no second deploy, renewal or release.
    expect(await operationKinds(id)).toEqual([
      'deploy',
      'renew',
      'expire',
      'unfreeze',
      'upgrade',
      'release',
    ]);
  });
});

describe('testFlag=1 naming a buyer’s instance', () => {
  it('answers 000000 and leaves it alone; the same calls without testFlag act', async () => {
    const a = await v2({
      activity: 'newInstance',
      orderId: 'CS-REAL-1',
      orderLineId: 'CS-REAL-1-000001',
      businessId: 'b-real-1',
    });
    const id = a.body.instanceId as string;
    await setStatus(id, 'ready');
    const before = await h.database.db
      .selectFrom('instances')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    for (const body of v2Lifecycle(id, '1')) {
      expect([body.activity, code(await v2(body))]).toEqual([body.activity, '000000']);
    }
    expect(await operationKinds(id)).toEqual(['deploy']);
    const after = await h.database.db
      .selectFrom('instances')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(after).toEqual(before);
    // A debug orderNotify for the buyer's order is not tied to the buyer's instance.
    expect(
      code(
        await v2({
          activity: 'orderNotify',
          orderId: 'CS-REAL-1',
          orderLineId: 'CS-REAL-1-000001',
          testFlag: '1',
        }),
      ),
    ).toBe('000000');
    expect(await operationKinds(id)).toEqual(['deploy']);

    const renew = v2Lifecycle(id, '0')[0]!;
    expect(code(await v2(renew))).toBe('000000');
    expect(await operationKinds(id)).toEqual(['deploy', 'renew']);
  });
});
