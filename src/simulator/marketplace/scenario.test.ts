import { afterEach, describe, expect, it } from 'vitest';
import {
  createScenarioHarness,
  harnessKey,
  type ScenarioHarness,
} from '../../../test/support/marketplace-sim/scenario-harness.js';
import { decryptField } from '../../marketplace/protocol/field-crypto.js';
import type { LedgerEntry } from './ledger.js';

const hour = 3_600_000;
let h: ScenarioHarness;
afterEach(() => h?.close());

const offsetsOf = (entries: Array<{ sentAt: string }>, t0: number) =>
  entries.map((e) => (Date.parse(e.sentAt) - t0) / 60_000);

describe('purchases', () => {
  it('V1: one signed newInstance with encrypted contact fields; the answer makes the instance ready', async () => {
    h = await createScenarioHarness({ config: { defaultProtocol: 'v1' } });
    const { operation, instance, order } = h.sim.buy({
      productId: 'OFFI01',
      skuCode: 'small',
      linearValue: 2,
      extendParams: [{ name: 'domain', value: 'a.example.com' }],
    });
    await operation.done;
    expect(operation.view).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      resultCode: '000000',
    });
    expect(instance).toMatchObject({ state: 'ready', instanceId: 'biz-0001', protocol: 'v1' });
    expect(instance!.appInfo).toMatchObject({ userName: 'admin', password: 'pw-biz-0001' });
    const got = h.endpoint.inbox[0]!;
    expect(got).toMatchObject({ protocol: 'v1', activity: 'newInstance', verified: true });
    expect(got.fields).toMatchObject({
      orderId: order!.orderId,
      skuCode: 'small',
      productId: 'OFFI01',
      chargingMode: '1',
      periodType: 'month',
      periodNumber: '1',
      amount: '2',
      trialFlag: '0',
      testFlag: '0',
    });
    expect(decryptField(String(got.fields.email), harnessKey, 1)).toBe(order!.buyerInfo.email);
    expect(decryptField(String(got.fields.mobilePhone), harnessKey, 1)).toBe(
      order!.buyerInfo.mobilePhone,
    );
    const ext = JSON.parse(Buffer.from(String(got.fields.saasExtendParams), 'base64').toString());
    expect(ext).toEqual([{ name: 'domain', value: 'a.example.com' }]);
    expect(h.sim.ledger.accepted()).toHaveLength(1);
  });

  it('V2: 000004, then queryInstance polling on the configured interval until ready', async () => {
    h = await createScenarioHarness({
      provisioningMs: 25 * 60_000,
      config: { knobs: { poll: { intervalMs: 10 * 60_000, deadlineMs: hour } } },
    });
    const t0 = h.clock.now().getTime();
    const { operation, instance, order } = h.sim.buy({ productId: 'OFFI02', skuCode: 'small' });
    await operation.answered;
    expect(instance!.instanceId).toBe('biz-0001');
    await operation.done;
    expect(instance).toMatchObject({ state: 'ready', appInfo: { password: 'pw-biz-0001' } });
    const entries = h.sim.ledger.entries();
    expect(entries.map((e) => `${e.activity}:${e.answer.resultCode}`)).toEqual([
      'newInstance:000004',
      'queryInstance:000004',
      'queryInstance:000004',
      'queryInstance:000000',
    ]);
    expect(offsetsOf(entries, t0)).toEqual([0, 10, 20, 30]);
    expect(h.endpoint.inbox[0]!.fields).toEqual({
      activity: 'newInstance',
      orderId: order!.orderId,
      orderLineId: `${order!.orderId}-000001`,
      businessId: 'biz-0001',
      testFlag: '0',
    });
  });

  it('V2: gives up polling at the deadline and marks the instance failed', async () => {
    h = await createScenarioHarness({
      provisioningMs: 10 * hour,
      config: { knobs: { poll: { intervalMs: 20 * 60_000, deadlineMs: hour } } },
    });
    const { operation, instance } = h.sim.buy({ productId: 'p', skuCode: 's' });
    await operation.done;
    expect(operation.view.status).toBe('failed');
    expect(instance!.state).toBe('failed');
    expect(h.sim.ledger.entries().filter((e) => e.activity === 'queryInstance')).toHaveLength(3);
  });

  it('V2 older inline body, and replaying a MOCK debug order', async () => {
    h = await createScenarioHarness({
      config: { products: { INLINE: { protocol: 'v2', v2Body: 'inline' } } },
    });
    const { operation, order } = h.sim.buy({
      productId: 'INLINE',
      skuCode: 's',
      extendParams: [{ name: 'n', value: 'v' }],
    });
    await operation.done;
    const body = h.endpoint.inbox[0]!.fields as {
      buyerInfo: { customerId: string };
      orderInfo: unknown[];
    };
    expect(body.buyerInfo.customerId).toBe(order!.buyerInfo.customerId);
    expect(body.orderInfo[0]).toMatchObject({
      orderId: order!.orderId,
      chargingMode: '1',
      productInfo: [{ skuCode: 's', productId: 'INLINE' }],
      extendParams: [{ name: 'n', value: 'v' }],
    });
    const mock = h.sim.buy({ mockOrderId: 'MOCKPERIODYEARNEW' });
    await mock.operation.done;
    expect(
      h.endpoint.inbox.find((r) => r.fields.orderId === 'MOCKPERIODYEARNEW')?.fields,
    ).toMatchObject({
      orderLineId: 'MOCKPERIODYEARNEW-000001',
      testFlag: '1',
    });
    expect(() => h.sim.buy({ mockOrderId: 'NOPE' })).toThrow(/no mock order/);
  });
});

describe('resend cadence (spec §10) over virtual time', () => {
  it('new purchase: retried hourly, accepted on the third attempt, fresh businessId each time', async () => {
    h = await createScenarioHarness({ config: { defaultProtocol: 'v1' } });
    h.endpoint.fail('newInstance', { kind: 'result', code: '000005' }, 2);
    const t0 = h.clock.now().getTime();
    const { operation, instance } = h.sim.buy({ productId: 'p', skuCode: 's' });
    await operation.done;
    const entries = h.sim.ledger.entries();
    expect(offsetsOf(entries, t0)).toEqual([0, 60, 120]);
    expect(entries.map((e) => e.accepted)).toEqual([false, false, true]);
    expect(new Set(entries.map((e) => e.businessId)).size).toBe(3);
    expect(operation.view).toMatchObject({ status: 'succeeded', attempts: 3 });
    expect(instance!.state).toBe('ready');
  });

  it('new purchase: after 3 hours of failures the order is cancelled', async () => {
    h = await createScenarioHarness({ config: { defaultProtocol: 'v1' } });
    h.endpoint.fail('newInstance', { kind: 'bad-body-sign' }, 100);
    const t0 = h.clock.now().getTime();
    const { operation, instance, order } = h.sim.buy({ productId: 'p', skuCode: 's' });
    await operation.done;
    expect(offsetsOf(h.sim.ledger.entries(), t0)).toEqual([0, 60, 120, 180]);
    expect(operation.view.status).toBe('cancelled');
    expect(operation.view.message).toMatch(/Body-Sign does not verify/);
    expect(instance!.state).toBe('cancelled');
    expect(h.sim.orders.get(order!.orderId)!.cancelled).toBe(true);
  });

  it('release and renewal: each retried for one hour (spec §10)', async () => {
    h = await createScenarioHarness({ config: { defaultProtocol: 'v1' } });
    const bought = h.sim.buy({ productId: 'p', skuCode: 's' });
    await bought.operation.done;
    const id = bought.instance!.instanceId!;
    h.endpoint.fail('refreshInstance', { kind: 'http-500' }, 100);
    let t0 = h.clock.now().getTime();
    const renew = h.sim.renew(id, { periodNumber: 1 });
    await renew.operation.done;
    expect(renew.operation.view.status).toBe('failed');
    expect(
      offsetsOf(
        h.sim.ledger.entries().filter((e) => e.kind === 'renew'),
        t0,
      ),
    ).toEqual([0, 20, 40, 60]);
    h.endpoint.fail('releaseInstance', { kind: 'result', code: '000005' }, 100);
    t0 = h.clock.now().getTime();
    const release = h.sim.release(id);
    await release.operation.done;
    expect(
      offsetsOf(
        h.sim.ledger.entries().filter((e) => e.kind === 'release'),
        t0,
      ),
    ).toEqual([0, 20, 40, 60]);
    expect(bought.instance!.state).toBe('ready');
  });

  it('a timeout counts as a failure and is retried', async () => {
    h = await createScenarioHarness({
      config: { defaultProtocol: 'v1', knobs: { timeoutMs: 100 } },
    });
    h.endpoint.fail('newInstance', { kind: 'hang' });
    const { operation } = h.sim.buy({ productId: 'p', skuCode: 's' });
    await operation.sent;
    h.endpoint.releaseHangs();
    await operation.done;
    const entries = h.sim.ledger.entries();
    expect(entries[0]!.answer.error).toBe('no answer within 100 ms');
    expect(entries.map((e) => e.accepted)).toEqual([false, true]);
  });
});

describe('duplicates, resends, reordering, skew', () => {
  it('concurrent duplicates: each freshly signed, one instance, consistent answers', async () => {
    h = await createScenarioHarness({ config: { defaultProtocol: 'v1' } });
    const { operation } = h.sim.buy({ productId: 'p', skuCode: 's' }, { duplicates: 3 });
    await operation.done;
    const sent = h.sim.ledger.entries();
    expect(sent.map((e) => e.copy)).toEqual([0, 1, 2]);
    expect(new Set(sent.map((e) => e.request.url)).size).toBe(3);
    expect(h.endpoint.inbox.every((r) => r.verified)).toBe(true);
    expect(h.endpoint.instances.size).toBe(1);
    expect(new Set(sent.map((e) => e.answer.instanceId)).size).toBe(1);
    expect(h.sim.ledger.violations()).toEqual([]);
  });

  it('resends after acceptance: a different instanceId is a violation', async () => {
    h = await createScenarioHarness({ config: { defaultProtocol: 'v1' } });
    const ok = h.sim.buy({ productId: 'p', skuCode: 's' }, { resends: 2 });
    await ok.operation.done;
    expect(h.sim.ledger.entries().map((e) => e.resend)).toEqual([false, true, true]);
    expect(h.sim.ledger.violations()).toEqual([]);
    const bad = h.sim.buy({ productId: 'p', skuCode: 's' }, { resends: 1 });
    await bad.operation.sent;
    h.endpoint.fail('newInstance', { kind: 'other-instance' });
    await bad.operation.done;
    expect(h.sim.ledger.violations()).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/answered instanceId biz-0004-other, earlier biz-0004/),
      }),
    ]);
  });

  it('a refused resend of an accepted release is a violation', async () => {
    h = await createScenarioHarness({ config: { defaultProtocol: 'v1' } });
    const b = h.sim.buy({ productId: 'p', skuCode: 's' });
    await b.operation.done;
    h.endpoint.fail('releaseInstance', { kind: 'result', code: '000005' }, 1, 2);
    const r = h.sim.release(b.instance!.instanceId!, { resends: 2 });
    await r.operation.done;
    const sent = h.sim.ledger.entries().filter((e) => e.kind === 'release');
    expect(sent.map((e) => [e.resend, e.accepted])).toEqual([
      [false, true],
      [true, true],
      [true, false],
    ]);
    expect(h.sim.ledger.violations()).toEqual([
      expect.objectContaining({
        instanceId: b.instance!.instanceId,
        message: expect.stringMatching(/repeat of an accepted call was not accepted \(000005/),
      }),
    ]);
  });

  it('a resend lost on the way (connection dropped) is resent, not a violation', async () => {
    h = await createScenarioHarness({ config: { defaultProtocol: 'v1' } });
    const b = h.sim.buy({ productId: 'p', skuCode: 's' });
    await b.operation.done;
    h.endpoint.fail('releaseInstance', { kind: 'drop' }, 1, 1);
    const r = h.sim.release(b.instance!.instanceId!, { resends: 1 });
    await r.operation.done;
    const sent = h.sim.ledger.entries().filter((e) => e.kind === 'release');
    expect(sent.map((e) => [e.resend, e.accepted, e.answer.status])).toEqual([
      [false, true, 200],
      [true, false, undefined],
    ]);
    expect(h.sim.ledger.violations()).toEqual([]);
  });

  it('reordering: renewal and release while a V2 instance is still installing', async () => {
    h = await createScenarioHarness({
      provisioningMs: 2 * hour,
      config: { knobs: { poll: { intervalMs: 15 * 60_000, deadlineMs: 3 * hour } } },
    });
    const b = h.sim.buy({ productId: 'p', skuCode: 's' });
    await b.operation.answered;
    expect(b.instance!.state).toBe('provisioning');
    const renew = h.sim.renew(b.instance!.instanceId!, { periodNumber: 3 });
    await renew.operation.done;
    expect(renew.operation.view.status).toBe('succeeded');
    const release = h.sim.release(b.instance!.instanceId!);
    await release.operation.done;
    await b.operation.done;
    expect(b.instance!.state).toBe('released');
    const order = h.sim.ledger.entries().map((e) => e.activity);
    expect(order.indexOf('releaseInstance')).toBeGreaterThan(order.indexOf('refreshInstance'));
    expect(
      h.sim.ledger
        .entries()
        .some((e) => e.activity === 'queryInstance' && e.answer.resultCode === '000000'),
    ).toBe(false);
    expect(h.endpoint.instances.get(b.instance!.instanceId!)!.state).toBe('released');
  });

  it('clock skew: signed 10 minutes late is refused (and cancelled), 30 s is fine', async () => {
    h = await createScenarioHarness();
    const late = h.sim.buy({ productId: 'p', skuCode: 's' }, { skewMs: -10 * 60_000 });
    await late.operation.done;
    expect(late.operation.view.status).toBe('cancelled');
    const e = h.sim.ledger.entries()[0]!;
    expect(Date.parse(e.sentAt) - Date.parse(e.signedAt)).toBe(10 * 60_000);
    expect(e.answer.resultCode).toBe('000001');
    h.setConfig({ knobs: { skewMs: 30_000 } });
    const near = h.sim.buy({ productId: 'p', skuCode: 's' });
    await near.operation.done;
    expect(near.operation.view.status).toBe('succeeded');
  });
});

describe('chaos at scale', () => {
  it('100 purchases resent 3 times, renewals and releases before ready: beliefs match the inbox', async () => {
    h = await createScenarioHarness({
      provisioningMs: 30 * 60_000,
      config: {
        knobs: { resends: 3, duplicates: 2, poll: { intervalMs: 10 * 60_000, deadlineMs: hour } },
      },
    });
    // Failed polls are simply polled again; a failure of a repeat would be a violation.
    h.endpoint.fail('queryInstance', { kind: 'result', code: '000005' }, 30, 20);
    const buys = Array.from({ length: 100 }, (_, i) =>
      h.sim.buy({ productId: 'p', skuCode: 's' }, { protocol: i % 2 ? 'v1' : 'v2' }),
    );
    await Promise.all(buys.map((b) => b.operation.answered));
    const early = buys.flatMap((b, i) => {
      const id = b.instance!.instanceId!;
      if (i % 10 === 0) return [h.sim.release(id)];
      if (i % 7 === 0) return [h.sim.renew(id)];
      return [];
    });
    await Promise.all([...buys, ...early].map((s) => s.operation.done));
    expect(buys.every((b) => b.operation.view.status === 'succeeded')).toBe(true);
    expect(h.sim.ledger.violations()).toEqual([]);
    // Every call the marketplace believes answered reached the endpoint verified, with that answer.
    const verified = h.endpoint.inbox.filter((r) => r.verified);
    for (const e of h.sim.ledger.accepted()) {
      const q = new URL(e.request.url).searchParams;
      const seen = verified.find((r) => r.callId === (q.get('authToken') ?? q.get('nonce')));
      expect(seen?.resultCode, `ledger #${e.seq}`).toBe(e.answer.resultCode);
    }
    expect(new Set(buys.map((b) => b.instance!.instanceId)).size).toBe(100);
    expect(buys.filter((b) => b.instance!.state === 'released')).toHaveLength(10);
    // Each purchase, renewal and release: every attempt as 2 concurrent copies, then 3 resends
    // of the accepted one; plus the polls. An attempt that timed out (a loaded machine answers
    // late) is retried on the marketplace's cadence, as the real one does: counted per attempt.
    const byOperation = new Map<string, LedgerEntry[]>();
    for (const e of h.sim.ledger.entries()) {
      if (e.activity === 'queryInstance') continue;
      byOperation.set(e.operationId, [...(byOperation.get(e.operationId) ?? []), e]);
    }
    expect(byOperation.size).toBe(100 + early.length);
    for (const [id, sent] of byOperation) {
      const attempts = Math.max(...sent.map((e) => e.attempt));
      expect(
        sent.filter((e) => e.resend),
        id,
      ).toHaveLength(3);
      expect(
        sent.filter((e) => !e.resend),
        id,
      ).toHaveLength(attempts * 2);
    }
  });
});

describe('the whole lifecycle', () => {
  for (const protocol of ['v1', 'v2'] as const) {
    it(`${protocol}: buy, renew, expire, unfreeze, upgrade, freeze, release`, async () => {
      h = await createScenarioHarness({ config: { defaultProtocol: protocol } });
      const b = h.sim.buy({ productId: 'p', skuCode: 'small', periodType: 'month' });
      await b.operation.done;
      const id = b.instance!.instanceId!;
      const expiry = b.instance!.terms.expireTime!.getTime();
      const steps = [
        () => h.sim.renew(id, { periodType: 'year', periodNumber: 1 }),
        () => h.sim.expire(id),
        () => h.sim.unfreeze(id),
        () => h.sim.upgrade(id, { skuCode: 'large', linearValue: 4 }),
        () => h.sim.freeze(id),
        () => h.sim.release(id, { unsubscribe: true }),
      ];
      const states: string[] = [];
      for (const step of steps) {
        const s = step();
        await s.operation.done;
        expect(s.operation.view.status, s.operation.view.kind).toBe('succeeded');
        states.push(b.instance!.state);
      }
      expect(states).toEqual(['ready', 'frozen', 'ready', 'ready', 'frozen', 'released']);
      expect(b.instance!.terms.productInfo.skuCode).toBe('large');
      expect(b.instance!.terms.expireTime!.getTime()).toBeGreaterThan(expiry);
      const activities = h.endpoint.inbox.map((r) => r.activity);
      expect(activities).toEqual(
        protocol === 'v1'
          ? [
              'newInstance',
              'refreshInstance',
              'expireInstance',
              'instanceStatus',
              'upgrade',
              'instanceStatus',
              'releaseInstance',
            ]
          : [
              'newInstance',
              'queryInstance',
              'refreshInstance',
              'updateInstanceStatus',
              'updateInstanceStatus',
              'changeInstanceCheck',
              'upgradeInstance',
              'updateInstanceStatus',
              'releaseInstance',
            ],
      );
      const release = h.endpoint.inbox.at(-1)!.fields;
      expect(release.orderId).toMatch(/^CS/);
      expect(h.sim.orders.get(String(release.orderId))!.orderType).toBe('UNSUBSCRIBE');
      expect(h.sim.ledger.accepted()).toHaveLength(h.sim.ledger.entries().length);
    });
  }

  it('V2: a change is asked first (changeInstanceCheck with the target); a refusal stops it', async () => {
    h = await createScenarioHarness();
    const b = h.sim.buy({ productId: 'p', skuCode: 'small' });
    await b.operation.done;
    const id = b.instance!.instanceId!;
    const up = h.sim.upgrade(id, { skuCode: 'large', linearValue: 4 });
    await up.operation.done;
    expect(up.operation.view.status).toBe('succeeded');
    const [check, change] = h.endpoint.inbox.slice(-2);
    expect(check).toMatchObject({ activity: 'changeInstanceCheck', verified: true });
    expect(check!.fields).toMatchObject({
      instanceId: id,
      productInfo: { productId: 'p', skuCode: 'large', linearValue: 4, productName: 'p' },
    });
    expect(change).toMatchObject({ activity: 'upgradeInstance' });

    h.endpoint.fail('changeInstanceCheck', { kind: 'result', code: '000005' });
    const refused = h.sim.upgrade(id, { skuCode: 'huge' });
    await refused.operation.done;
    expect(refused.operation.view).toMatchObject({ status: 'failed', resultCode: '000005' });
    expect(h.endpoint.inbox.at(-1)!.activity).toBe('changeInstanceCheck');
    expect(b.instance!.terms.productInfo.skuCode).toBe('large');
  });

  it('query, license, notify and raw calls; unknown instances answer 000003', async () => {
    h = await createScenarioHarness();
    const b = h.sim.buy({ productId: 'p', skuCode: 's' });
    await b.operation.done;
    const q = h.sim.query([b.instance!.instanceId!, 'unknown']);
    await q.operation.done;
    expect(q.operation.view.status).toBe('succeeded');
    const lic = h.sim.license({
      productId: 'LIC1',
      skuCode: 'std',
      extendParams: [{ name: 'machineCode', value: 'M-1' }],
    });
    await lic.operation.done;
    expect(lic.instance).toMatchObject({
      state: 'ready',
      license: `LIC-${lic.order!.orderId}`,
      protocol: 'v1',
    });
    const n = h.sim.notify(b.order!.orderId);
    await n.operation.done;
    expect(h.endpoint.inbox.at(-1)).toMatchObject({ activity: 'orderNotify', verified: true });
    const unknown = h.sim.release('no-such-instance', { noRetry: true });
    await unknown.operation.done;
    expect(unknown.operation.view).toMatchObject({ status: 'failed', resultCode: '000003' });
    const raw = h.sim.raw(
      { protocol: 'v1', activity: 'instanceStatus', fields: { instanceId: 'x' } },
      { corruption: { tamper: 'signature' } },
    );
    await raw.operation.done;
    expect(raw.operation.view.resultCode).toBe('000001');
    expect(() => h.sim.renew('no-such-instance')).toThrow(/no instance/);
    expect(() => h.sim.query([])).toThrow(/instanceIds/);
  });

  it('refuses to send before the production URL and Key are configured', async () => {
    h = await createScenarioHarness();
    h.setConfig({ productionUrl: undefined });
    expect(() => h.sim.buy({ productId: 'p', skuCode: 's' })).toThrow(
      /productionUrl: not configured/,
    );
  });
});
