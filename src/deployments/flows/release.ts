import type { EngineDeps, Flow, StepScope } from '../flow-context.js';
import { resolvePlan } from '../plan.js';
import { extendParamsOf, runHook } from '../steps/remote.js';
import { deleteNetworkOf, deleteServersOf, verifyNothingLeft } from '../steps/teardown.js';
import { updateInstance } from '../store.js';
import { instance } from './deploy.js';

/**
 * Release: the buyer's resources are destroyed (spec §4). The product's stop and uninstall hooks
 * run first, best effort; then servers (with EIP and volumes), security group, subnet and VPC the
 * instance owns are deleted by tag, its licenses revoked, and the teardown verified: nothing
 * tagged with the instance may remain. Open operations of the instance were cancelled when the
 * release was recorded; this runs after they stopped.
 */
export async function releaseFlow(flow: Flow): Promise<void> {
  const { deps, op } = flow;
  const uninstall = await flow.step('plan', 'local', (s) => releasePlan(deps, op.instanceId, s));
  if (uninstall) {
    for (const hook of ['prestop', 'stop', 'uninstall']) {
      if (!uninstall.plan.hooks.includes(hook)) continue;
      await flow
        .step(`hook-${hook}`, 'none', (s) => runHook(deps, op.instanceId, uninstall.plan, hook, s))
        .catch(() => undefined); // best effort: the server is deleted next either way
    }
  }
  await flow.step('delete-servers', 'cloud', (s) => deleteServersOf(deps, op.instanceId, s));
  await flow.step('delete-network', 'cloud', (s) => deleteNetworkOf(deps, op.instanceId, s));
  await flow.step('revoke-licenses', 'local', async (s) => {
    const r = await deps.db
      .updateTable('licenses')
      .set({ revoked_at: deps.clock.now() })
      .where('instance_id', '=', op.instanceId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    await s.log('info', `${Number(r.numUpdatedRows)} license(s) revoked`);
    return { revoked: Number(r.numUpdatedRows) };
  });
  await flow.step('verify-teardown', 'cloud', (s) => verifyNothingLeft(deps, op.instanceId, s));
  await flow.step('released', 'local', async (s) => {
    const now = deps.clock.now();
    await updateInstance(deps.db, op.instanceId, {
      status: 'released',
      status_detail: null,
      released_at: now,
      updated_at: now,
    });
    await s.log('info', 'released: nothing tagged with the instance remains');
    return { released: true };
  });
}

/** Hooks run only on a server that was deployed and whose product still has a template. */
async function releasePlan(deps: EngineDeps, instanceId: string, s: StepScope) {
  const inst = await instance(deps, instanceId);
  if (!inst.eip || !inst.host_key || !deps.catalog.resolve(inst.product_id, inst.sku_code))
    return null;
  try {
    const plan = resolvePlan({
      instance: inst,
      catalog: deps.catalog,
      region: inst.region ?? deps.region,
      overrides: {},
      extendParams: extendParamsOf(deps, inst),
      deployAllTestOrders: true,
    });
    return { plan };
  } catch (err) {
    await s.log('warn', `uninstall hooks skipped: ${(err as Error).message}`);
    return null;
  }
}
