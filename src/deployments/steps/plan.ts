import type { InstanceStatus, OperationKind } from '../../platform/db/schema.js';
import { Cancelled, messageOf, Permanent } from '../../platform/errors.js';
import type { StepScope } from '../engine/steps.js';
import { Overrides } from '../model/overrides.js';
import { type DeployPlan, noTemplate, resolvePlan } from '../model/plan.js';
import type { OperationSnapshot } from '../ports.js';
import { type DeployDeps, instanceOf } from './deps.js';

/** How an instance's lifecycle operations act on what was deployed. */
export interface LifecyclePlan {
  deployed: boolean;
  /** The instance's status when planned. */
  status: InstanceStatus;
  plan: DeployPlan;
  expire: 'stop-service' | 'stop-server' | 'both';
  renew: 'update-hook' | 'restart';
  serverStopped: boolean;
}

const describeChoices = (plan: DeployPlan) =>
  plan.existingServer
    ? `onto the buyer's server ${plan.existingServer.host}`
    : plan.candidates.map((c) => `${c.flavor}${c.az ? `@${c.az}` : ''}`).join(' > ');

function needOrders(deps: DeployDeps, what: string) {
  if (!deps.orders)
    throw new Permanent(
      `${what} needs the KooGallery order API: set KGD_CLOUD_AK and KGD_CLOUD_SK (the seller account)`,
    );
  return deps.orders;
}

/**
 * Reads an order; for a test order a failing or missing order API is logged and read as "no
 * order" (null), so a debug call is answered like a real one whatever the marketplace's mock
 * order API does (spec §11). A cancellation still stops.
 */
async function queryTestTolerant<T>(
  test: boolean,
  s: StepScope,
  query: () => Promise<T>,
): Promise<T | null> {
  try {
    return await query();
  } catch (err) {
    if (!test || err instanceof Cancelled) throw err;
    await s.log('warn', `test order: the order could not be read, going on: ${messageOf(err)}`);
    return null;
  }
}

/** Plan and order steps: what a deployment will do, decided once and checkpointed. */
export function createPlanSteps(deps: DeployDeps) {
  const lineOf = <L extends { orderLineId: string }>(lines: L[], id: string | null) =>
    lines.find((l) => l.orderLineId === id) ?? lines[0]!;

  return {
    /** The time, as a step records it. */
    now: () => deps.clock.now().toISOString(),

    /** What a failed deploy of the instance's product leaves: everything, or nothing. */
    async failurePolicy(instanceId: string): Promise<'keep' | 'destroy'> {
      const inst = await instanceOf(deps, instanceId);
      const product = inst.product_name ? deps.catalog.byName(inst.product_name) : undefined;
      return product?.lifecycle.onFailure ?? 'keep';
    },

    /**
     * A frozen instance's freeze as the commands left it: `lifted` when it is no longer meant to
     * be frozen (a renewal lifted its expiry, an unfreeze was recorded), `kept` when it still is
     * (a cancelled renewal period, a freeze recorded since); `none` when it is not frozen.
     */
    async freezeState(instanceId: string, s: StepScope): Promise<'none' | 'lifted' | 'kept'> {
      const inst = await instanceOf(deps, instanceId);
      if (inst.status !== 'frozen') return 'none';
      if (!inst.frozen) return 'lifted';
      await s.log('info', `${instanceId} stays frozen: its server is left as it is`);
      return 'kept';
    },

    /** V2 orders arrive thin: buyer, product, sku, period and extension parameters come from here. */
    async readOrder(instanceId: string, s: StepScope) {
      const inst = await instanceOf(deps, instanceId);
      const order = await queryTestTolerant(inst.test, s, () =>
        needOrders(deps, 'a V2 order').queryOrder(inst.order_id, inst.order_line_id ?? undefined),
      );
      if (!order) return { orderType: null };
      const line = lineOf(order.orderLine, inst.order_line_id);
      const product = line.productInfo[0];
      await deps.store.updateInstance(instanceId, {
        product_id: product?.productId ?? inst.product_id,
        sku_code: product?.skuCode ?? inst.sku_code,
        customer_id: order.buyerInfo?.customerId ?? inst.customer_id,
        customer_name: order.buyerInfo?.customerName ?? inst.customer_name,
        charging_mode: line.chargingMode ?? inst.charging_mode,
        period_type: line.periodType ?? inst.period_type,
        period_number: line.periodNumber ?? inst.period_number,
        trial: order.orderType === 'TRIAL' || inst.trial,
        expires_at: line.expireTime ?? inst.expires_at,
        ...(order.extendParams.length > 0
          ? {
              private_sealed: deps.secrets.sealPrivate(instanceId, {
                extendParams: order.extendParams,
              }),
            }
          : {}),
        updated_at: deps.clock.now(),
      });
      await s.log(
        'info',
        `order ${order.orderId} (${order.orderType}): product ${product?.productId}, sku ${product?.skuCode}, expires ${line.expireTime?.toISOString() ?? 'never'}`,
      );
      return { orderType: order.orderType };
    },

    async plan(op: OperationSnapshot, s: StepScope): Promise<DeployPlan> {
      const inst = await instanceOf(deps, op.instanceId);
      const overrides = Overrides.safeParse((await deps.store.operationInputs(op.id)).overrides);
      const plan = resolvePlan({
        instance: inst,
        catalog: deps.catalog,
        region: deps.region,
        overrides: overrides.success ? overrides.data : {},
        extendParams: deps.secrets.extendParams(inst),
        deployAllTestOrders: deps.deployAllTestOrders,
      });
      const templated = plan.productName !== noTemplate;
      await deps.store.updateInstance(op.instanceId, {
        ...(templated
          ? {
              product_name: plan.productName,
              template_version: plan.templateVersion,
              sku_code: plan.skuCode,
            }
          : {}),
        region: plan.region,
        updated_at: deps.clock.now(),
      });
      await s.log(
        'info',
        `plan: ${plan.productName}@${plan.templateVersion} sku ${plan.skuCode}, ${describeChoices(plan)}`,
      );
      return plan;
    },

    /** For lifecycle operations: the plan of what is deployed, and whether anything is. */
    async lifecyclePlan(instanceId: string, s: StepScope): Promise<LifecyclePlan> {
      const inst = await instanceOf(deps, instanceId);
      const plan = resolvePlan({
        instance: inst,
        catalog: deps.catalog,
        region: inst.region ?? deps.region,
        overrides: {},
        extendParams: deps.secrets.extendParams(inst),
        deployAllTestOrders: deps.deployAllTestOrders,
      });
      // A test order no template serves (a mock product) has nothing deployed: defaults apply.
      const lifecycle = deps.catalog.byName(plan.productName)?.lifecycle;
      const deployed = !!inst.eip && !!inst.ready_at && !plan.skip;
      let serverStopped = false;
      if (deployed && inst.server_id && !plan.existingServer) {
        const server = await deps.cloud.getServer(inst.server_id);
        serverStopped = server?.status === 'SHUTOFF';
      }
      if (!deployed)
        await s.log(
          'info',
          `nothing deployed for ${instanceId} (status ${inst.status}): updating the record only`,
        );
      return {
        deployed,
        status: inst.status,
        plan,
        expire: lifecycle?.expire ?? 'stop-service',
        renew: lifecycle?.renew ?? 'update-hook',
        serverStopped,
      };
    },

    /**
     * Hooks run at release only on a server where the product was installed and ran (the
     * instance was ready once) and whose product is still loaded. A deploy that never got that
     * far (a stalled or hostile server among them) has nothing to stop: its release does not
     * wait on that server again.
     */
    async releasePlan(instanceId: string, s: StepScope): Promise<{ plan: DeployPlan } | null> {
      const inst = await instanceOf(deps, instanceId);
      if (
        !inst.eip ||
        !inst.host_key ||
        !inst.ready_at ||
        !deps.catalog.resolve(inst.product_id, inst.sku_code)
      )
        return null;
      try {
        const plan = resolvePlan({
          instance: inst,
          catalog: deps.catalog,
          region: inst.region ?? deps.region,
          overrides: {},
          extendParams: deps.secrets.extendParams(inst),
          deployAllTestOrders: true,
        });
        return { plan };
      } catch (err) {
        await s.log('warn', `uninstall hooks skipped: ${(err as Error).message}`);
        return null;
      }
    },

    /** Upgrade: the new sku (from the call, or from the order for V2), applied to the instance. */
    async upgradeTarget(op: OperationSnapshot, s: StepScope) {
      const inst = await instanceOf(deps, op.instanceId);
      let productId = (op.params.productId as string | null) ?? inst.product_id;
      let skuCode = (op.params.skuCode as string | null) ?? inst.sku_code;
      const { orderId } = op;
      if (!op.params.skuCode && orderId && deps.orders) {
        const orders = deps.orders;
        const order = await queryTestTolerant(inst.test, s, () =>
          orders.queryOrder(orderId, op.orderLineId ?? undefined),
        );
        const line = order ? lineOf(order.orderLine, op.orderLineId) : undefined;
        productId = line?.productInfo[0]?.productId ?? productId;
        skuCode = line?.productInfo[0]?.skuCode ?? skuCode;
      }
      const match = deps.catalog.resolve(productId, skuCode);
      if (!match && inst.test) {
        // A debug upgrade names the marketplace's mock product: nothing deployed changes.
        await s.log('info', `test order: no template serves ${productId} / ${skuCode}`);
        const flavor = inst.flavor ?? '-';
        return { productId, skuCode, flavor, current: flavor };
      }
      if (!match)
        throw new Permanent(`no product template serves productId ${productId} / sku ${skuCode}`);
      await deps.store.updateInstance(op.instanceId, {
        product_id: productId,
        sku_code: match.skuCode,
        updated_at: deps.clock.now(),
      });
      await s.log(
        'info',
        `upgrade to ${match.product.name} sku ${match.skuCode} (${match.sku.flavor})`,
      );
      return { productId, skuCode: match.skuCode, flavor: match.sku.flavor, current: inst.flavor };
    },

    /**
     * orderNotify: read the order and record the lifecycle operation it describes, which then
     * runs after this one for the same instance (same queue partition).
     */
    async orderChange(op: OperationSnapshot, s: StepScope) {
      const orders = op.test ? deps.orders : needOrders(deps, 'orderNotify');
      if (!orders) return { recorded: null };
      if (!op.orderId) throw new Permanent('orderNotify without an orderId');
      const orderId = op.orderId;
      const order = await queryTestTolerant(op.test, s, () =>
        orders.queryOrder(orderId, op.orderLineId ?? undefined),
      );
      if (!order) return { recorded: null };
      const line = lineOf(order.orderLine, op.orderLineId);
      const product = line.productInfo[0];
      const expireTime = line.expireTime?.toISOString() ?? null;
      const follow: Record<string, { kind: OperationKind; params: Record<string, unknown> }> = {
        RENEW: { kind: 'renew', params: { scene: 'RENEWAL', expireTime } },
        TRIAL_TO_FORMAL: { kind: 'renew', params: { scene: 'TRIAL_TO_FORMAL', expireTime } },
        CHANGE: {
          kind: 'upgrade',
          params: { productId: product?.productId ?? null, skuCode: product?.skuCode ?? null },
        },
        UNSUBSCRIBE: { kind: 'release', params: {} },
      };
      const next = follow[order.orderType];
      if (!next || op.instanceId.startsWith('order:')) {
        await s.log(
          'info',
          `order ${order.orderId} (${order.orderType}): nothing to do for this notification`,
        );
        return { recorded: null };
      }
      const recorded = await deps.store.recordFollowUp(op, next);
      await s.log(
        'info',
        `order ${order.orderId} (${order.orderType}) → ${next.kind}${recorded ? ` ${recorded}` : ' (already recorded)'}`,
      );
      return { recorded };
    },
  };
}
