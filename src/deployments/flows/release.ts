import type { InstancePatch } from '../ports.js';
import { type FlowContext, tearDown } from './flow.js';

/**
 * Release: the buyer's resources are destroyed (spec §4). The product's stop and uninstall hooks
 * run first, best effort; then the one teardown deletes by tag and verifies nothing tagged with
 * the instance remains, and its licenses are revoked. Open operations of the instance were asked
 * to stop when the release was recorded; this runs after they ended (same queue partition).
 */
export async function releaseFlow(ctx: FlowContext): Promise<InstancePatch> {
  const { op, steps, d } = ctx;
  const uninstall = await steps.run('plan', 'local', (s) => d.releasePlan(op.instanceId, s));
  if (uninstall) {
    for (const hook of ['prestop', 'stop', 'uninstall'].filter((h) =>
      uninstall.plan.hooks.includes(h),
    )) {
      await steps
        .run(`hook-${hook}`, 'none', (s) => d.runHook(op.instanceId, uninstall.plan, hook, s))
        .catch(() => undefined); // best effort: the server is deleted next either way
    }
  }
  await tearDown(ctx);
  await steps.run('revoke-licenses', 'local', (s) => d.revokeLicenses(op.instanceId, s));
  const releasedAt = await steps.run('released', 'local', async (s) => {
    await s.log('info', 'released: nothing tagged with the instance remains');
    return d.now();
  });
  return { status: 'released', status_detail: null, released_at: releasedAt };
}
