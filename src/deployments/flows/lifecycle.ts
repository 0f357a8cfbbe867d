import { DeploymentFailure, type EngineDeps, type Flow, type StepScope } from '../flow-context.js';
import type { DeployPlan } from '../plan.js';
import { resolvePlan } from '../plan.js';
import { timeouts } from '../policies.js';
import {
  checkHealth,
  extendParamsOf,
  installLicense,
  runHook,
  waitForSsh,
} from '../steps/remote.js';
import { liveServers, waitJob } from '../steps/server.js';
import { updateInstance } from '../store.js';
import { instance, issueLicense, licenseInput } from './deploy.js';

/**
 * Renewal, expiry/freeze, unfreeze and upgrade of a deployed instance. An instance with nothing
 * deployed (a failed or skipped deploy) only has its record updated: a later rerun of its deploy
 * applies the current state.
 */
interface LifecyclePlan {
  deployed: boolean;
  plan: DeployPlan;
  expire: 'stop-service' | 'stop-server' | 'both';
  renew: 'update-hook' | 'restart';
  serverStopped: boolean;
}

async function lifecyclePlan(
  deps: EngineDeps,
  instanceId: string,
  s: StepScope,
): Promise<LifecyclePlan> {
  const inst = await instance(deps, instanceId);
  const plan = resolvePlan({
    instance: inst,
    catalog: deps.catalog,
    region: inst.region ?? deps.region,
    overrides: {},
    extendParams: extendParamsOf(deps, inst),
    deployAllTestOrders: deps.deployAllTestOrders ?? false,
  });
  const product = deps.catalog.byName(plan.productName)!;
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
    plan,
    expire: product.lifecycle.expire,
    renew: product.lifecycle.renew,
    serverStopped,
  };
}

async function powerServers(
  deps: EngineDeps,
  instanceId: string,
  action: 'stop' | 'start',
  s: StepScope,
) {
  const servers = (await liveServers(deps, instanceId)).filter((x) =>
    action === 'stop' ? x.status !== 'SHUTOFF' : x.status === 'SHUTOFF',
  );
  if (servers.length === 0) return { changed: 0 };
  const ids = servers.map((x) => x.id);
  const { jobId } =
    action === 'stop'
      ? await deps.cloud.stopServers(ids, 'SOFT')
      : await deps.cloud.startServers(ids);
  await waitJob(deps, jobId, timeouts.powerJobMs, s);
  await s.log(
    'info',
    `server(s) ${ids.join(', ')} ${action === 'stop' ? 'stopped (disk kept)' : 'started'}`,
  );
  return { changed: ids.length };
}

async function setStatus(
  deps: EngineDeps,
  instanceId: string,
  status: 'ready' | 'frozen',
  s: StepScope,
  detail: string | null = null,
) {
  await updateInstance(deps.db, instanceId, {
    status,
    status_detail: detail,
    updated_at: deps.clock.now(),
  });
  await s.log('info', `instance is ${status}`);
  return { status };
}

async function hookIf(flow: Flow, lp: LifecyclePlan, hook: string, bestEffort = false) {
  if (!lp.plan.hooks.includes(hook)) return;
  const run = () =>
    flow.step(`hook-${hook}`, 'hook', (s) =>
      runHook(flow.deps, flow.op.instanceId, lp.plan, hook, s),
    );
  if (!bestEffort) return run();
  await run().catch(() => undefined); // logged by the step; stopping a service that is not running is fine
}

/** Stops what the product's expiry policy says; data stays. */
async function freezeSteps(flow: Flow, lp: LifecyclePlan) {
  if (lp.expire !== 'stop-server') {
    await hookIf(flow, lp, 'prestop', true);
    await hookIf(flow, lp, 'stop');
  }
  if (lp.expire !== 'stop-service' && !lp.plan.existingServer) {
    await flow.step('stop-server', 'cloud', (s) =>
      powerServers(flow.deps, flow.op.instanceId, 'stop', s),
    );
  }
}

async function thawSteps(flow: Flow, lp: LifecyclePlan) {
  if (lp.serverStopped || lp.expire !== 'stop-service') {
    await flow.step('start-server', 'cloud', (s) =>
      powerServers(flow.deps, flow.op.instanceId, 'start', s),
    );
    await flow.step('wait-ssh', 'none', (s) =>
      waitForSsh(flow.deps, flow.op.instanceId, lp.plan, s),
    );
  }
  await hookIf(flow, lp, 'start');
  await hookIf(flow, lp, 'poststart');
  await flow.step('health-check', 'none', (s) =>
    checkHealth(flow.deps, flow.op.instanceId, lp.plan, s),
  );
}

export async function freezeFlow(flow: Flow): Promise<void> {
  const lp = await flow.step('plan', 'cloud', (s) =>
    lifecyclePlan(flow.deps, flow.op.instanceId, s),
  );
  if (lp.deployed) await freezeSteps(flow, lp);
  await flow.step('frozen', 'local', (s) =>
    setStatus(
      flow.deps,
      flow.op.instanceId,
      'frozen',
      s,
      lp.deployed ? null : 'frozen before anything was deployed',
    ),
  );
}

export async function unfreezeFlow(flow: Flow): Promise<void> {
  const lp = await flow.step('plan', 'cloud', (s) =>
    lifecyclePlan(flow.deps, flow.op.instanceId, s),
  );
  if (lp.deployed) await thawSteps(flow, lp);
  await flow.step('unfrozen', 'local', (s) => setStatus(flow.deps, flow.op.instanceId, 'ready', s));
}

/**
 * Renewal (also trial-to-formal and a cancelled renewal period): a new license with the new
 * expiry, pushed to the server, then the product's update hook (or a restart); an instance frozen
 * by expiry is started again.
 */
export async function renewFlow(flow: Flow): Promise<void> {
  const { deps, op } = flow;
  const lp = await flow.step('plan', 'cloud', (s) => lifecyclePlan(deps, op.instanceId, s));
  const expires = (op.params.expireTime as string | null) ?? null;
  const license = await flow.step('issue-license', 'local', (s) =>
    issueLicense(
      deps,
      op.instanceId,
      lp.plan,
      `renew:${op.id}`,
      expires ? new Date(expires) : undefined,
      s,
    ),
  );
  if (!lp.deployed) return;
  const wasFrozen = await flow.step(
    'check-frozen',
    'local',
    async () => (await instance(deps, op.instanceId)).status === 'frozen',
  );
  if (wasFrozen && lp.serverStopped) {
    await flow.step('start-server', 'cloud', (s) => powerServers(deps, op.instanceId, 'start', s));
    await flow.step('wait-ssh', 'none', (s) => waitForSsh(deps, op.instanceId, lp.plan, s));
  }
  await flow.step('install-license', 'ssh', (s) =>
    installLicense(deps, op.instanceId, lp.plan, licenseInput(license), s),
  );
  if (wasFrozen) {
    await hookIf(flow, lp, 'start');
    await hookIf(flow, lp, 'poststart');
  } else if (lp.renew === 'update-hook' && lp.plan.hooks.includes('update')) {
    await hookIf(flow, lp, 'update');
  } else {
    await hookIf(flow, lp, 'restart');
  }
  await flow.step('health-check', 'none', (s) => checkHealth(deps, op.instanceId, lp.plan, s));
  if (wasFrozen)
    await flow.step('unfrozen', 'local', (s) => setStatus(deps, op.instanceId, 'ready', s));
}

/** Upgrade: the new sku (from the order for V2), resize when the flavor changes, re-license, restart. */
export async function upgradeFlow(flow: Flow): Promise<void> {
  const { deps, op } = flow;
  const target = await flow.step('read-spec', 'cloud', async (s) => {
    const inst = await instance(deps, op.instanceId);
    let productId = (op.params.productId as string | null) ?? inst.product_id;
    let skuCode = (op.params.skuCode as string | null) ?? inst.sku_code;
    if (!op.params.skuCode && op.orderId && deps.orderQuery) {
      const order = await deps.orderQuery.queryOrder(op.orderId, op.orderLineId ?? undefined);
      const line =
        order.orderLine.find((l) => l.orderLineId === op.orderLineId) ?? order.orderLine[0]!;
      productId = line.productInfo[0]?.productId ?? productId;
      skuCode = line.productInfo[0]?.skuCode ?? skuCode;
    }
    const match = deps.catalog.resolve(productId, skuCode);
    if (!match)
      throw new DeploymentFailure(
        `no product template serves productId ${productId} / sku ${skuCode}`,
      );
    await s.log(
      'info',
      `upgrade to ${match.product.name} sku ${match.skuCode} (${match.sku.flavor})`,
    );
    return { productId, skuCode: match.skuCode, flavor: match.sku.flavor };
  });
  const lp = await flow.step('plan', 'cloud', async (s) => {
    await updateInstance(deps.db, op.instanceId, {
      product_id: target.productId,
      sku_code: target.skuCode,
      updated_at: deps.clock.now(),
    });
    return lifecyclePlan(deps, op.instanceId, s);
  });
  if (!lp.deployed) return;
  const current = await flow.step(
    'read-flavor',
    'cloud',
    async () => (await instance(deps, op.instanceId)).flavor,
  );
  if (current !== target.flavor && !lp.plan.existingServer) {
    await hookIf(flow, lp, 'prestop', true);
    await flow.step('stop-server', 'cloud', (s) => powerServers(deps, op.instanceId, 'stop', s));
    await flow.step('resize-server', 'cloud', async (s) => {
      const inst = await instance(deps, op.instanceId);
      const { jobId } = await deps.cloud.resizeServer(inst.server_id!, target.flavor);
      await waitJob(deps, jobId, timeouts.resizeJobMs, s);
      await updateInstance(deps.db, op.instanceId, {
        flavor: target.flavor,
        updated_at: deps.clock.now(),
      });
      await s.log('info', `server ${inst.server_id} resized from ${current} to ${target.flavor}`);
      return { flavor: target.flavor };
    });
    await flow.step('start-server', 'cloud', (s) => powerServers(deps, op.instanceId, 'start', s));
    await flow.step('wait-ssh', 'none', (s) => waitForSsh(deps, op.instanceId, lp.plan, s));
  }
  const license = await flow.step('issue-license', 'local', (s) =>
    issueLicense(deps, op.instanceId, lp.plan, `upgrade:${op.id}`, undefined, s),
  );
  await flow.step('install-license', 'ssh', (s) =>
    installLicense(deps, op.instanceId, lp.plan, licenseInput(license), s),
  );
  await hookIf(flow, lp, current !== target.flavor ? 'start' : 'restart');
  if (current !== target.flavor) await hookIf(flow, lp, 'poststart');
  await flow.step('health-check', 'none', (s) => checkHealth(deps, op.instanceId, lp.plan, s));
}
