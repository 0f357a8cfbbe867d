import { Cancelled, messageOf } from '../../platform/errors.js';
import { isSettled } from '../model/states.js';
import type { InstancePatch } from '../ports.js';
import type { LifecyclePlan } from '../steps/plan.js';
import type { FlowContext } from './flow.js';

/**
 * Renewal, expiry/freeze, unfreeze and upgrade of a deployed instance. An instance with nothing
 * deployed (a failed or skipped deploy) only has its record updated: a later rerun of its deploy
 * applies the current state. One whose deploy failed stays failed; a seller-console test order
 * (ready with nothing provisioned) goes frozen and back like any other.
 */
async function hookIf(ctx: FlowContext, lp: LifecyclePlan, hook: string, bestEffort = false) {
  if (!lp.plan.hooks.includes(hook)) return;
  await ctx.steps.run(`hook-${hook}`, 'hook', async (s) => {
    try {
      return await ctx.d.runHook(ctx.op.instanceId, lp.plan, hook, s);
    } catch (err) {
      // Best effort (stopping a service that is not running is fine): the step succeeds, in one
      // attempt, so a later failure is the one the operation names. A cancellation still stops.
      if (!bestEffort || err instanceof Cancelled) throw err;
      await s.log('warn', `the ${hook} hook failed, going on (best effort): ${messageOf(err)}`);
      return { exitCode: null };
    }
  });
}

const power = (ctx: FlowContext, action: 'stop' | 'start') =>
  ctx.steps.run(`${action}-server`, 'cloud', (s) =>
    ctx.d.powerServers(ctx.op.instanceId, action, s),
  );

const waitSsh = (ctx: FlowContext, lp: LifecyclePlan) =>
  ctx.steps.run('wait-ssh', 'none', (s) => ctx.d.waitForSsh(ctx.op.instanceId, lp.plan, s));

const health = (ctx: FlowContext, lp: LifecyclePlan) =>
  ctx.steps.run('health-check', 'none', (s) => ctx.d.checkHealth(ctx.op.instanceId, lp.plan, s));

const planOf = (ctx: FlowContext) =>
  ctx.steps.run('plan', 'cloud', (s) => ctx.d.lifecyclePlan(ctx.op.instanceId, s));

/** Expiry and freeze: stops what the product's expiry policy says; data stays. */
export async function freezeFlow(ctx: FlowContext): Promise<InstancePatch | undefined> {
  const lp = await planOf(ctx);
  if (!lp.deployed && !isSettled(lp.status)) return undefined;
  if (lp.deployed) {
    // The buyer's own server is never powered off: its service is stopped instead.
    const powerOff = lp.expire !== 'stop-service' && !lp.plan.existingServer;
    if (lp.expire !== 'stop-server' || !powerOff) {
      await hookIf(ctx, lp, 'prestop', true);
      await hookIf(ctx, lp, 'stop');
    }
    if (powerOff) await power(ctx, 'stop');
  }
  return {
    status: 'frozen',
    status_detail: lp.deployed ? null : 'frozen before anything was deployed',
  };
}

/**
 * Unfreeze: the server back, a license for the period now paid (a renewal recorded while frozen
 * left the server untouched), the start hooks and the health check.
 */
export async function unfreezeFlow(ctx: FlowContext): Promise<InstancePatch | undefined> {
  const { op, steps, d } = ctx;
  const lp = await planOf(ctx);
  if (!lp.deployed && lp.status !== 'frozen') return undefined;
  if (lp.deployed) {
    if (lp.serverStopped || lp.expire !== 'stop-service') {
      await power(ctx, 'start');
      await waitSsh(ctx, lp);
    }
    const license = await steps.run('issue-license', 'local', (s) =>
      d.issueLicense(op.instanceId, lp.plan, `unfreeze:${op.id}`, undefined, s),
    );
    await steps.run('install-license', 'ssh', (s) =>
      d.installLicense(op.instanceId, lp.plan, license, s),
    );
    await hookIf(ctx, lp, 'start');
    await hookIf(ctx, lp, 'poststart');
    await health(ctx, lp);
  }
  return { status: 'ready', status_detail: null };
}

/**
 * Renewal (also trial-to-formal and a cancelled renewal period): a new license with the new
 * expiry, pushed to the server, then the product's update hook (or a restart). A frozen instance
 * whose freeze the renewal lifted is started again; one still meant to be frozen keeps its server
 * as it is (its license is installed when it is unfrozen).
 */
export async function renewFlow(ctx: FlowContext): Promise<InstancePatch | undefined> {
  const { op, steps, d } = ctx;
  const lp = await planOf(ctx);
  const expires = (op.params.expireTime as string | null | undefined) ?? undefined;
  const license = await steps.run('issue-license', 'local', (s) =>
    d.issueLicense(op.instanceId, lp.plan, `renew:${op.id}`, expires, s),
  );
  const freeze = await steps.run('check-frozen', 'local', (s) => d.freezeState(op.instanceId, s));
  if (!lp.deployed)
    return freeze === 'lifted' ? { status: 'ready', status_detail: null } : undefined;
  if (freeze === 'kept') return undefined;
  const wasFrozen = freeze === 'lifted';
  if (wasFrozen && lp.serverStopped) {
    await power(ctx, 'start');
    await waitSsh(ctx, lp);
  }
  await steps.run('install-license', 'ssh', (s) =>
    d.installLicense(op.instanceId, lp.plan, license, s),
  );
  if (wasFrozen) {
    await hookIf(ctx, lp, 'start');
    await hookIf(ctx, lp, 'poststart');
  } else if (lp.renew === 'update-hook' && lp.plan.hooks.includes('update')) {
    await hookIf(ctx, lp, 'update');
  } else {
    await hookIf(ctx, lp, 'restart');
  }
  await health(ctx, lp);
  return wasFrozen ? { status: 'ready', status_detail: null } : undefined;
}

/** Upgrade: the new sku (from the order for V2), resize when the flavor changes, re-license, restart. */
export async function upgradeFlow(ctx: FlowContext): Promise<undefined> {
  const { op, steps, d } = ctx;
  const target = await steps.run('read-spec', 'cloud', (s) => d.upgradeTarget(op, s));
  const lp = await planOf(ctx);
  if (!lp.deployed) return undefined;
  const resize = target.current !== target.flavor && !lp.plan.existingServer;
  // When the buyer's service went down (the stop step's checkpointed time, so a replay agrees).
  let downSince: string | undefined;
  if (resize) {
    await hookIf(ctx, lp, 'prestop', true);
    downSince = (await power(ctx, 'stop')).at;
    await steps.run('resize-server', 'cloud', (s) =>
      d.resizeServer(op.instanceId, target.flavor, s),
    );
    await power(ctx, 'start');
    await waitSsh(ctx, lp);
  }
  const license = await steps.run('issue-license', 'local', (s) =>
    d.issueLicense(op.instanceId, lp.plan, `upgrade:${op.id}`, undefined, s),
  );
  await steps.run('install-license', 'ssh', (s) =>
    d.installLicense(op.instanceId, lp.plan, license, s),
  );
  await hookIf(ctx, lp, resize ? 'start' : 'restart');
  if (resize) await hookIf(ctx, lp, 'poststart');
  await steps.run('health-check', 'none', async (s) => {
    const result = await d.checkHealth(op.instanceId, lp.plan, s);
    if (downSince) await d.logDowntime(downSince, 'resize', s);
    return result;
  });
  return undefined;
}
