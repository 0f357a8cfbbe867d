import type { OperationKind } from '../../platform/db/schema.js';
import { DeploymentFailure, type Flow } from '../flow-context.js';
import { insertOperation } from '../store.js';

/**
 * orderNotify (V2): read the order and record the lifecycle operation it describes, which then
 * runs after this one for the same instance (same queue partition).
 */
export async function syncFlow(flow: Flow): Promise<void> {
  const { deps, op } = flow;
  await flow.step('read-order', 'cloud', async (s) => {
    if (!deps.orderQuery)
      throw new DeploymentFailure(
        'orderNotify needs the KooGallery order API: set KGD_CLOUD_AK and KGD_CLOUD_SK',
      );
    if (!op.orderId) throw new DeploymentFailure('orderNotify without an orderId');
    const order = await deps.orderQuery.queryOrder(op.orderId, op.orderLineId ?? undefined);
    const line =
      order.orderLine.find((l) => l.orderLineId === op.orderLineId) ?? order.orderLine[0]!;
    const product = line.productInfo[0];
    const follow: Record<
      string,
      { kind: OperationKind; params: Record<string, unknown> } | undefined
    > = {
      RENEW: {
        kind: 'renew',
        params: { scene: 'RENEWAL', expireTime: line.expireTime?.toISOString() ?? null },
      },
      TRIAL_TO_FORMAL: {
        kind: 'renew',
        params: { scene: 'TRIAL_TO_FORMAL', expireTime: line.expireTime?.toISOString() ?? null },
      },
      CHANGE: {
        kind: 'upgrade',
        params: { productId: product?.productId ?? null, skuCode: product?.skuCode ?? null },
      },
      UNSUBSCRIBE: { kind: 'release', params: {} },
    };
    const next = follow[order.orderType];
    if (!next || !op.instanceId || op.instanceId.startsWith('order:')) {
      await s.log(
        'info',
        `order ${order.orderId} (${order.orderType}): nothing to do for this notification`,
      );
      return { recorded: null };
    }
    const created = await insertOperation(deps.db, {
      id: deps.ids.next('op'),
      instance_id: op.instanceId,
      kind: next.kind,
      status: 'pending',
      idempotency_key: next.kind === 'release' ? `release:${op.instanceId}` : `sync:${op.id}`,
      order_id: op.orderId,
      order_line_id: op.orderLineId,
      params: JSON.stringify(next.params),
      params_sealed: null,
      inbox_id: null,
      test: op.test,
      created_at: deps.clock.now(),
    });
    await s.log(
      'info',
      `order ${order.orderId} (${order.orderType}) → ${next.kind}${created ? ` ${created.id}` : ' (already recorded)'}`,
    );
    return { recorded: created?.id ?? null };
  });
}
