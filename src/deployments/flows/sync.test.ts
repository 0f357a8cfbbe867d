import { describe, expect, it, vi } from 'vitest';
import type { StepRecord } from '../../../test/support/fakes/memory-steps.js';
import { createFlowHarness, type FlowHarness } from '../../../test/support/flow-harness.js';
import { Retryable } from '../../platform/errors.js';
import { retrySchedule, stepPolicies } from '../engine/policies.js';
import { orderChangeKey, renewalKey } from '../model/keys.js';
import type { MarketplaceOrder } from '../ports.js';

const purchase = 'CS2211181819B4LVS';
const expireTime = new Date('2027-01-31T15:59:59Z');

/** An order as the query API answers it (one line, the demo product). */
function order(orderType: string, orderId = `CS-${orderType}`): MarketplaceOrder {
  return {
    orderId,
    orderType,
    buyerInfo: { customerId: 'cust-1', customerName: 'Acme Buyer' },
    extendParams: [],
    orderLine: [
      {
        orderLineId: `${orderId}-000001`,
        chargingMode: 'PERIOD',
        periodType: 'month',
        periodNumber: 1,
        expireTime,
        productInfo: [{ productId: 'OFFI-DEMO-LICENSE-MONTH', skuCode: 'pro' }],
      },
    ],
  };
}

/**
 * A ready V2 instance, and the sync operation recordOrderChange records for a notification of
 * `changed` (an order the marketplace answers for), pending.
 */
function notified(changed: MarketplaceOrder, h = createFlowHarness()) {
  h.orders.orders.set(changed.orderId, changed);
  const instanceId = 'kgi-sync-1';
  h.store.seedInstance({
    id: instanceId,
    protocol: 'v2',
    status: 'ready',
    order_id: purchase,
    order_line_id: `${purchase}-000001`,
    product_id: 'OFFI-DEMO-LICENSE-MONTH',
    sku_code: 'basic',
    trial: changed.orderType === 'TRIAL_TO_FORMAL',
  });
  const lineId = changed.orderLine[0]!.orderLineId;
  const syncId = h.operation(instanceId, {
    kind: 'sync',
    order_id: changed.orderId,
    order_line_id: lineId,
    idempotency_key: orderChangeKey(changed.orderId, lineId),
  });
  return { h, instanceId, syncId };
}

/** What the sync recorded for the instance: its operations but syncs and the purchase's deploy. */
const followUps = (h: FlowHarness, instanceId: string) =>
  [...h.store.operations.values()].filter(
    (o) => o.instance_id === instanceId && o.kind !== 'sync' && o.kind !== 'deploy',
  );

describe('sync flow (orderNotify)', () => {
  it.each([
    ['RENEW', 'renew', { scene: 'RENEWAL', expireTime: expireTime.toISOString() }],
    [
      'TRIAL_TO_FORMAL',
      'renew',
      { scene: 'TRIAL_TO_FORMAL', expireTime: expireTime.toISOString() },
    ],
    ['CHANGE', 'upgrade', { productId: 'OFFI-DEMO-LICENSE-MONTH', skuCode: 'pro' }],
    ['UNSUBSCRIBE', 'release', {}],
  ] as const)('a %s order records a %s of the instance', async (orderType, kind, params) => {
    const changed = order(orderType);
    const { h, instanceId, syncId } = notified(changed);
    expect(await h.run(syncId)).toEqual({ status: 'succeeded' });
    expect(h.orders.queried).toEqual([changed.orderId]);
    const [next, ...more] = followUps(h, instanceId);
    expect(more).toEqual([]);
    expect(next).toMatchObject({
      kind,
      status: 'pending',
      params,
      order_id: changed.orderId,
      order_line_id: changed.orderLine[0]!.orderLineId,
    });
    expect(h.journal.lines('read-order')).toContainEqual(
      expect.stringContaining(`(${orderType}) → ${kind} ${next!.id}`),
    );
    const inst = h.instance(instanceId);
    if (kind === 'renew') expect(inst).toMatchObject({ expires_at: expireTime, trial: false });
    if (kind === 'release') expect(inst.status).toBe('releasing');
    else expect(inst.status).toBe('ready');
  });

  it('an unsubscription asks the operations in flight to stop', async () => {
    const { h, instanceId, syncId } = notified(order('UNSUBSCRIBE'));
    const renewId = h.operation(instanceId, { kind: 'renew', status: 'running' });
    await h.run(syncId);
    expect(h.op(renewId).cancel_requested_at).toEqual(h.clock.now());
  });

  it.each(['NEW', 'TRIAL', 'SOMETHING_NEW'])('a %s order records nothing', async (orderType) => {
    const { h, instanceId, syncId } = notified(order(orderType));
    expect(await h.run(syncId)).toEqual({ status: 'succeeded' });
    expect(followUps(h, instanceId)).toEqual([]);
    expect(h.journal.lines('read-order')).toContainEqual(
      expect.stringContaining('nothing to do for this notification'),
    );
  });

  it('a notification of an order no instance has records nothing', async () => {
    const h = createFlowHarness();
    const changed = order('RENEW');
    h.orders.orders.set(changed.orderId, changed);
    h.store.seedOperation({ id: 'op_sync_order', kind: 'sync', order_id: changed.orderId });
    expect(await h.run('op_sync_order')).toEqual({ status: 'succeeded' });
    expect([...h.store.operations.values()].map((o) => o.kind)).toEqual(['sync']);
    expect(h.store.writes.map((w) => w.method)).not.toContain('recordFollowUp');
  });

  it('a change already recorded (its refreshInstance came first) is not recorded again', async () => {
    const changed = order('RENEW');
    const { h, instanceId, syncId } = notified(changed);
    const lineId = changed.orderLine[0]!.orderLineId;
    h.operation(instanceId, {
      kind: 'renew',
      idempotency_key: renewalKey(instanceId, changed.orderId, lineId, 'RENEWAL'),
    });
    expect(await h.run(syncId)).toEqual({ status: 'succeeded' });
    expect(followUps(h, instanceId)).toHaveLength(1);
    expect(h.journal.lines('read-order')).toContainEqual(
      expect.stringContaining('(already recorded)'),
    );
  });

  it.each([1, 2, 3])(
    'a crash after step %i: the replay records the change once',
    async (stopAfter) => {
      const { h, instanceId, syncId } = notified(order('CHANGE'));
      const record: StepRecord[] = [];
      expect(await h.run(syncId, { record, stopAfter })).toBe('stopped');
      expect(await h.run(syncId, { record })).toEqual({ status: 'succeeded' });
      expect(record.map((s) => s.name)).toEqual(['begin', 'read-order', 'finish']);
      expect(followUps(h, instanceId)).toHaveLength(1);
      expect(h.orders.queried).toHaveLength(1);
    },
  );
});

describe('sync flow: the order query failing', () => {
  const unavailable = () =>
    new Retryable('order query for CS-RENEW failed with MKT.0999: internal error', {
      code: 'MKT.0999',
    });

  it('unavailable for a while (Retryable): asked again on the clock, then recorded', async () => {
    const { h, instanceId, syncId } = notified(order('RENEW'));
    const asked: number[] = [];
    const t0 = h.clock.now().getTime();
    const query = vi.spyOn(h.orders, 'queryOrder');
    for (let i = 0; i < 2; i++)
      query.mockImplementationOnce(async () => {
        asked.push(h.clock.now().getTime() - t0);
        throw unavailable();
      });
    expect(await h.run(syncId)).toEqual({ status: 'succeeded' });
    expect(query).toHaveBeenCalledTimes(3);
    expect(asked).toEqual([0, stepPolicies.cloud.intervalMs]);
    expect(followUps(h, instanceId)).toHaveLength(1);
  });

  it('unavailable throughout: the sync fails at read-order after the policy’s attempts', async () => {
    const { h, instanceId, syncId } = notified(order('RENEW'));
    const query = vi.spyOn(h.orders, 'queryOrder').mockRejectedValue(unavailable());
    const outcome = await h.run(syncId);
    expect(outcome).toMatchObject({ status: 'failed', failedStep: 'read-order' });
    expect(outcome).toMatchObject({ error: expect.stringContaining('MKT.0999') });
    expect(query).toHaveBeenCalledTimes(retrySchedule(stepPolicies.cloud).length + 1);
    expect(followUps(h, instanceId)).toEqual([]);
    const inst = h.instance(instanceId);
    expect(inst.status).toBe('ready'); // a failed sync changes nothing the buyer has
    expect(inst.status_detail).toContain('sync failed');
  });

  it('refused (Permanent: an unknown order): fails at once, asked once', async () => {
    const h = createFlowHarness();
    const { instanceId, syncId } = notified(order('RENEW'), h);
    h.orders.orders.clear();
    const outcome = await h.run(syncId);
    expect(outcome).toMatchObject({ status: 'failed', failedStep: 'read-order' });
    expect(outcome).toMatchObject({ error: expect.stringContaining('does not exist') });
    expect(h.orders.queried).toHaveLength(1);
    expect(followUps(h, instanceId)).toEqual([]);
    expect(h.instance(instanceId).status).toBe('ready');
  });
});
