import type { SimInstance } from './instances.js';
import * as fields from './notification-fields.js';
import type { Operation } from './operations.js';
import type { Order, PurchaseInput } from './orders.js';
import type { Protocol } from './request-builder.js';
import {
  type CallOptions,
  NotFoundError,
  type ScenarioCore,
  type Started,
} from './scenario-core.js';

/**
 * Purchases: newInstance (V1 synchronous; V2 followed by queryInstance polling until the
 * instance is ready), V1 getLicense, and V2 orderNotify.
 */

export interface BuyOptions extends CallOptions {
  protocol?: Protocol;
  v2Body?: 'thin' | 'inline';
}

export function createPurchaseOperations(core: ScenarioCore) {
  const { deps, touch } = core;

  async function pollUntilReady(op: Operation, inst: SimInstance, immediately: boolean) {
    const { intervalMs, deadlineMs } = deps.config().knobs.poll;
    const start = deps.timer.now();
    let first = immediately;
    for (;;) {
      if (inst.state !== 'provisioning') return;
      if (!first) {
        if (deps.timer.now() + intervalMs - start > deadlineMs) {
          touch(inst, { state: 'failed' });
          throw new Error(
            `instance ${inst.instanceId} not ready after ${deadlineMs} ms of polling`,
          );
        }
        await deps.timer.sleep(intervalMs);
      }
      first = false;
      // A release (or expiry) during installation ends the polling.
      if (inst.state !== 'provisioning') return;
      const outcome = await core.deliver({
        operationId: op.view.id,
        kind: 'query',
        spec: core.specOf(
          'v2',
          'queryInstance',
          () => ({ instanceId: inst.instanceId, testFlag: inst.testFlag }),
          {},
        ),
        duplicates: 1,
        resends: 0,
      });
      const info = outcome.accepted?.info?.find((i) => i.instanceId === inst.instanceId);
      if (info?.appInfo && inst.state === 'provisioning') {
        touch(inst, { state: 'ready', appInfo: info.appInfo });
        return;
      }
    }
  }

  function protocolOf(productId: string, opts: BuyOptions) {
    const cfg = deps.config();
    const product = cfg.products[productId];
    return {
      protocol: opts.protocol ?? product?.protocol ?? cfg.defaultProtocol,
      v2Body: opts.v2Body ?? product?.v2Body ?? 'thin',
    };
  }

  /** New purchase (newInstance), or a replay of a MOCK debug order with `mockOrderId`. */
  function buy(input: PurchaseInput | { mockOrderId: string }, opts: BuyOptions = {}): Started {
    core.settings();
    let order: Order;
    if ('mockOrderId' in input) {
      const mock = deps.orders.get(input.mockOrderId);
      if (!mock?.mock) throw new NotFoundError(`no mock order ${input.mockOrderId}`);
      order = mock;
    } else order = deps.orders.createPurchase(input);
    const { protocol, v2Body } = protocolOf(order.orderLine[0]!.productInfo[0]!.productId, opts);
    const testFlag = opts.testFlag ?? (order.mock ? '1' : deps.config().testFlag);
    const inst = core.register(order, protocol, v2Body, testFlag);
    const op = deps.operations.start('buy', inst.instanceId ?? inst.key);
    const spec = core.specOf(
      protocol,
      'newInstance',
      (s) =>
        protocol === 'v1'
          ? fields.v1NewInstance(order, {
              key: s.key,
              encryptType: s.requestEncryptType,
              businessId: core.newBusinessId(),
              testFlag,
            })
          : fields.v2NewInstance(order, {
              businessId: core.newBusinessId(),
              testFlag,
              variant: v2Body,
            }),
      opts,
    );
    core.launch(
      op,
      { spec, retry: 'purchase', opts },
      async (r) => {
        if (!inst.instanceId) touch(inst, { instanceId: r.instanceId });
        op.view.ref = inst.instanceId;
        if (protocol === 'v1') {
          if (inst.state === 'pending') touch(inst, { state: 'ready', appInfo: r.appInfo });
          return;
        }
        if (inst.state === 'pending') touch(inst, { state: 'provisioning' });
        await pollUntilReady(op, inst, r.resultCode === '000000');
      },
      () => {
        deps.orders.cancel(order.orderId);
        if (inst.state === 'pending') touch(inst, { state: 'cancelled' });
      },
    );
    return { operation: op, instance: inst, order };
  }

  /** V1 getLicense: a License product issued by the seller on purchase. */
  function license(input: PurchaseInput, opts: CallOptions = {}): Started {
    core.settings();
    const order = deps.orders.createPurchase(input);
    const testFlag = opts.testFlag ?? deps.config().testFlag;
    const inst = core.register(order, 'v1', 'thin', testFlag);
    const op = deps.operations.start('license', inst.key);
    const spec = core.specOf(
      'v1',
      'getLicense',
      () => fields.getLicenseFields(order, { businessId: core.newBusinessId(), testFlag }),
      opts,
    );
    core.launch(
      op,
      { spec, retry: 'purchase', opts },
      (r) => {
        touch(inst, {
          instanceId: inst.instanceId ?? r.instanceId,
          license: r.license,
          state: 'ready',
        });
        op.view.ref = inst.instanceId;
      },
      () => {
        deps.orders.cancel(order.orderId);
        touch(inst, { state: 'cancelled' });
      },
    );
    return { operation: op, instance: inst, order };
  }

  /** V2 orderNotify: "an order changed, go read it". */
  function notify(orderId: string, opts: CallOptions = {}): Started {
    core.settings();
    const order = deps.orders.get(orderId);
    if (!order) throw new NotFoundError(`no order ${orderId}`);
    const testFlag = opts.testFlag ?? (order.mock ? '1' : deps.config().testFlag);
    const op = deps.operations.start('notify', orderId);
    const spec = core.specOf(
      'v2',
      'orderNotify',
      () => ({ orderId, orderLineId: order.orderLine[0]!.orderLineId, testFlag }),
      opts,
    );
    core.launch(op, { spec, retry: 'renewal', opts }, () => {});
    return { operation: op, order };
  }

  return { buy, license, notify };
}
