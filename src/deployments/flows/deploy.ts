import { privatePurpose } from '../../marketplace/handlers/context.js';
import type { Instance } from '../../platform/db/schema.js';
import { render } from '../../products/render.js';
import { DeploymentFailure, type EngineDeps, type Flow, type StepScope } from '../flow-context.js';
import { packageArchive } from '../package-archive.js';
import { type DeployPlan, type Overrides, resolvePlan } from '../plan.js';
import { ensureNetwork, ensureSecurityGroup, securityRules, tagsOf } from '../steps/network.js';
import {
  accessVars,
  checkHealth,
  extendParamsOf,
  installLicense,
  productOf,
  runHook,
  uploadPackage,
  waitForSsh,
} from '../steps/remote.js';
import {
  createServer,
  prepareCredentials,
  waitServerActive,
  waitServerJob,
} from '../steps/server.js';
import { getInstance, updateInstance } from '../store.js';

/**
 * Deploy: from a purchase to a licensed, running, health-checked instance. Every step is
 * durable and idempotent against the cloud (look before create, tags, client tokens), so a crash
 * anywhere resumes at the interrupted step without a second server or a second license.
 */
export async function deployFlow(flow: Flow): Promise<void> {
  const { deps, op } = flow;
  if (op.params.thin)
    await flow.step('read-order', 'cloud', (s) => readOrder(deps, op.instanceId, s));
  const plan = await flow.step('plan', 'local', (s) =>
    planDeployment(deps, op.id, op.instanceId, s),
  );
  if (plan.skip) {
    await flow.step('ready', 'local', (s) => markReady(deps, op.instanceId, plan, s, plan.skip));
    return;
  }
  if (!plan.existingServer) {
    // Independent resources: the group is created while the VPC and subnet become ready. DBOS
    // numbers the two steps in call order, so a replay pairs each with its recorded result.
    const [network, sg] = await Promise.all([
      flow.step('ensure-network', 'cloud', async (s) =>
        ensureNetwork(deps, await instance(deps, op.instanceId), plan, s),
      ),
      flow.step('ensure-security-group', 'cloud', async (s) =>
        ensureSecurityGroup(deps, await instance(deps, op.instanceId), plan, s),
      ),
    ]);

    await flow.step('prepare-credentials', 'local', () => prepareCredentials(deps, op.instanceId));
    const refusals: string[] = [];
    let serverId: string | undefined;
    for (const candidate of plan.candidates) {
      const created = await flow.step('create-server', 'cloud', async (s) =>
        createServer(
          deps,
          await instance(deps, op.instanceId),
          plan,
          candidate,
          op.id,
          { ...network, securityGroupId: sg.securityGroupId },
          s,
        ),
      );
      const result = await flow.step('wait-server-job', 'none', async (s) => {
        const r = await waitServerJob(deps, created, s);
        if (!r.ok)
          await s.log(
            'warn',
            `${candidate.flavor}${candidate.az ? ` in ${candidate.az}` : ''} unavailable: ${r.capacity}; trying the next choice`,
          );
        return r;
      });
      if (result.ok) {
        serverId = result.serverId;
        break;
      }
      refusals.push(`${candidate.flavor}${candidate.az ? `@${candidate.az}` : ''}`);
    }
    if (!serverId) {
      throw new DeploymentFailure(
        `no capacity for any choice (${refusals.join(', ')}): add fallbackFlavors or AZs to the product, or rerun with --flavor/--az`,
      );
    }
    await flow.step('wait-server-active', 'none', async (s) =>
      waitServerActive(deps, await instance(deps, op.instanceId), serverId, s),
    );
  } else {
    await flow.step('use-existing-server', 'cloud', (s) =>
      useExistingServer(deps, op.instanceId, plan, s),
    );
  }
  await flow.step('wait-ssh', 'none', (s) => waitForSsh(deps, op.instanceId, plan, s));
  if (plan.kind === 'license') {
    await flow.step('upload-package', 'ssh', (s) =>
      uploadPackage(
        deps,
        op.instanceId,
        plan,
        packageArchive(productOf(deps, plan), deps.workDir),
        s,
      ),
    );
  }
  const license = await flow.step('issue-license', 'local', (s) =>
    issueLicense(deps, op.instanceId, plan, `deploy:${op.id}`, undefined, s),
  );
  await flow.step('install-license', 'ssh', (s) =>
    installLicense(deps, op.instanceId, plan, licenseInput(license), s),
  );
  if (plan.kind === 'license') {
    for (const hook of ['install', 'start', 'poststart']) {
      if (plan.hooks.includes(hook))
        await flow.step(`hook-${hook}`, 'hook', (s) => runHook(deps, op.instanceId, plan, hook, s));
    }
  } else {
    const product = productOf(deps, plan);
    await flow.step('first-boot', 'hook', (s) =>
      runHook(deps, op.instanceId, plan, 'first-boot', s, product.firstBoot!.command),
    );
  }
  await flow.step('health-check', 'none', (s) => checkHealth(deps, op.instanceId, plan, s));
  await flow.step('ready', 'local', (s) => markReady(deps, op.instanceId, plan, s));
}

export async function instance(deps: EngineDeps, id: string): Promise<Instance> {
  const inst = await getInstance(deps.db, id);
  if (!inst) throw new DeploymentFailure(`instance ${id} does not exist`);
  return inst;
}

async function overridesOf(deps: EngineDeps, opId: string): Promise<Overrides> {
  const row = await deps.db
    .selectFrom('operations')
    .select('overrides')
    .where('id', '=', opId)
    .executeTakeFirst();
  return (row?.overrides ?? {}) as Overrides;
}

export async function planDeployment(
  deps: EngineDeps,
  opId: string,
  instanceId: string,
  s: StepScope,
): Promise<DeployPlan> {
  const inst = await instance(deps, instanceId);
  const plan = resolvePlan({
    instance: inst,
    catalog: deps.catalog,
    region: deps.region,
    overrides: await overridesOf(deps, opId),
    extendParams: extendParamsOf(deps, inst),
    deployAllTestOrders: deps.deployAllTestOrders ?? false,
  });
  await updateInstance(deps.db, instanceId, {
    product_name: plan.productName,
    template_version: plan.templateVersion,
    sku_code: plan.skuCode,
    region: plan.region,
    updated_at: deps.clock.now(),
  });
  await s.log(
    'info',
    `plan: ${plan.productName}@${plan.templateVersion} sku ${plan.skuCode}, ${plan.existingServer ? `onto the buyer's server ${plan.existingServer.host}` : `${plan.candidates.map((c) => `${c.flavor}${c.az ? `@${c.az}` : ''}`).join(' > ')}`}`,
  );
  return plan;
}

/** V2 orders arrive thin: buyer, product, sku, period and extension parameters come from here. */
export async function readOrder(deps: EngineDeps, instanceId: string, s: StepScope) {
  if (!deps.orderQuery) {
    throw new DeploymentFailure(
      'V2 orders are read from the KooGallery order API: set KGD_CLOUD_AK and KGD_CLOUD_SK (the seller account)',
    );
  }
  const inst = await instance(deps, instanceId);
  const order = await deps.orderQuery.queryOrder(inst.order_id, inst.order_line_id ?? undefined);
  const line =
    order.orderLine.find((l) => l.orderLineId === inst.order_line_id) ?? order.orderLine[0]!;
  const product = line.productInfo[0];
  const extendParams = order.extendParams ?? [];
  await updateInstance(deps.db, instanceId, {
    product_id: product?.productId ?? inst.product_id,
    sku_code: product?.skuCode ?? inst.sku_code,
    customer_id: order.buyerInfo?.customerId ?? inst.customer_id,
    customer_name: order.buyerInfo?.customerName ?? inst.customer_name,
    charging_mode: line.chargingMode ?? inst.charging_mode,
    period_type: line.periodType ?? inst.period_type,
    period_number: line.periodNumber ?? inst.period_number,
    trial: order.orderType === 'TRIAL' || inst.trial,
    expires_at: line.expireTime ?? inst.expires_at,
    ...(extendParams.length > 0
      ? {
          private_sealed: deps.secretBox.seal(
            JSON.stringify({ extendParams }),
            privatePurpose(instanceId),
          ),
        }
      : {}),
    updated_at: deps.clock.now(),
  });
  await s.log(
    'info',
    `order ${order.orderId} (${order.orderType}): product ${product?.productId}, sku ${product?.skuCode}, expires ${line.expireTime?.toISOString() ?? 'never'}`,
  );
  return { orderType: order.orderType };
}

async function useExistingServer(
  deps: EngineDeps,
  instanceId: string,
  plan: DeployPlan,
  s: StepScope,
) {
  const host = plan.existingServer!.host;
  const serverId = plan.existingServer!.serverId;
  await updateInstance(deps.db, instanceId, {
    eip: host,
    server_id: serverId ?? null,
    updated_at: deps.clock.now(),
  });
  // The buyer's server is usually in the buyer's account; its ports are only ours to open if we see it.
  const server = serverId ? await deps.cloud.getServer(serverId).catch(() => undefined) : undefined;
  if (server) {
    const inst = await instance(deps, instanceId);
    const sg = await deps.cloud.ensureSecurityGroup({
      name: `kgd-${instanceId}`,
      tags: tagsOf(inst),
      rules: securityRules(deps, plan),
    });
    await s.log(
      'warn',
      `security group ${sg.id} prepared for the buyer's server ${serverId}; attach it if the server does not already admit the product's ports`,
    );
  } else {
    await s.log(
      'warn',
      `installing onto the buyer's server ${host}: its security group must admit the product's ports (not visible to this account)`,
    );
  }
  return { host };
}

export function licenseInput(l: {
  id: string;
  text: string;
  expiresAt: string | null;
  limits: Record<string, unknown>;
}) {
  return {
    id: l.id,
    text: l.text,
    expiresAt: l.expiresAt ? new Date(l.expiresAt) : null,
    limits: l.limits,
  };
}

/** Issues the instance's license for this operation (same key, same license after any crash). */
export async function issueLicense(
  deps: EngineDeps,
  instanceId: string,
  plan: DeployPlan,
  key: string,
  expiresAt: Date | null | undefined,
  s: StepScope,
) {
  const inst = await instance(deps, instanceId);
  const product = productOf(deps, plan);
  const sku = product.marketplace.skus[plan.skuCode] ?? { limits: {} };
  const license = await deps.licenses.issue(deps.db, {
    idempotencyKey: key,
    instanceId,
    orderId: inst.order_id,
    productId: inst.product_id,
    skuCode: plan.skuCode,
    customerId: inst.customer_id,
    customerName: inst.customer_name,
    limits: sku.limits,
    expiresAt: expiresAt === undefined ? inst.expires_at : expiresAt,
    boundTo: plan.existingServer
      ? { serverId: plan.existingServer.serverId ?? plan.existingServer.host }
      : inst.server_id
        ? { serverId: inst.server_id }
        : {},
    test: inst.test,
  });
  await s.log(
    'info',
    `license ${license.id} issued (expires ${license.expires_at ? new Date(license.expires_at).toISOString() : 'never'})`,
  );
  return {
    id: license.id,
    text: license.text,
    expiresAt: license.expires_at ? new Date(license.expires_at).toISOString() : null,
    limits: sku.limits as Record<string, unknown>,
  };
}

export async function markReady(
  deps: EngineDeps,
  instanceId: string,
  plan: DeployPlan,
  s: StepScope,
  skipped?: string,
) {
  const inst = await instance(deps, instanceId);
  const product = productOf(deps, plan);
  const vars = accessVars(inst, plan);
  const now = deps.clock.now();
  await updateInstance(deps.db, instanceId, {
    status: 'ready',
    status_detail: skipped ?? null,
    front_end_url: skipped ? null : render(product.access.frontEndUrl, vars),
    admin_url: skipped || !product.access.adminUrl ? null : render(product.access.adminUrl, vars),
    memo: skipped
      ? 'Test order: no resources were created.'
      : product.access.memo
        ? render(product.access.memo, vars)
        : null,
    ready_at: inst.ready_at ?? now,
    updated_at: now,
  });
  await s.log(
    'info',
    skipped
      ? `ready without resources: ${skipped}`
      : `ready: ${render(product.access.frontEndUrl, vars)}`,
  );
  return { ready: true };
}
