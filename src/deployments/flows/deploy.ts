import { Permanent } from '../../platform/errors.js';
import { cloudPolicy } from '../engine/policies.js';
import type { InstancePatch } from '../ports.js';
import { describeCandidate } from '../steps/server.js';
import type { FlowContext } from './flow.js';

/**
 * Deploy: from a purchase to a licensed, running, health-checked instance. Every step is durable
 * and idempotent against the cloud (look before create, tags, client tokens), so a crash anywhere
 * resumes at the interrupted step without a second server or a second license.
 */
export async function deployFlow({ op, steps, d }: FlowContext): Promise<InstancePatch> {
  if (op.params.thin) await steps.run('read-order', 'cloud', (s) => d.readOrder(op.instanceId, s));
  const plan = await steps.run('plan', 'local', (s) => d.plan(op, s));
  if (plan.skip)
    return steps.run('ready', 'local', (s) => d.access(op.instanceId, plan, s, plan.skip));

  // Cloud steps retry throttling and transient answers within the product's budget.
  const cloud = cloudPolicy(plan.cloudRetryBudgetMs);
  if (!plan.existingServer) {
    // Independent resources: the group is created while the VPC and subnet become ready. Steps
    // are numbered in call order, so a replay pairs each with its recorded result.
    const [network, sg] = await Promise.all([
      steps.run('ensure-network', cloud, (s) => d.ensureNetwork(op.instanceId, plan, s)),
      steps.run('ensure-security-group', cloud, (s) =>
        d.ensureSecurityGroup(op.instanceId, plan, s),
      ),
    ]);
    await steps.run('prepare-credentials', 'local', () => d.prepareCredentials(op.instanceId));
    const refusals: string[] = [];
    const reasons: string[] = [];
    /** Flavors the cloud said no AZ will have (retired, private, unknown): their AZs are skipped. */
    const goneFlavors = new Set<string>();
    let serverId: string | undefined;
    for (const candidate of plan.candidates) {
      if (goneFlavors.has(candidate.flavor)) continue;
      const created = await steps.run('create-server', cloud, (s) =>
        d.createServer(op, plan, candidate, { ...network, securityGroupId: sg.securityGroupId }, s),
      );
      const result = await steps.run('wait-server-job', 'none', async (s) => {
        const r = await d.waitServerJob(created, s);
        if (!r.ok)
          await s.log(
            'warn',
            `${describeCandidate(candidate)} unavailable: ${r.capacity}; ${r.scope === 'flavor' ? `skipping flavor ${candidate.flavor} in every AZ, ` : ''}trying the next choice`,
          );
        return r;
      });
      if (result.ok) {
        serverId = result.serverId;
        break;
      }
      if (result.scope === 'flavor') goneFlavors.add(candidate.flavor);
      refusals.push(`${candidate.flavor}${candidate.az ? `@${candidate.az}` : ''}`);
      reasons.push(result.capacity);
    }
    if (!serverId)
      throw new Permanent(
        `no capacity for any choice (${refusals.join(', ')}): add fallbackFlavors or AZs to the product, or rerun with --flavor/--az; the cloud answered: ${[...new Set(reasons)].join(' | ')}`,
      );
    const id = serverId;
    await steps.run('wait-server-active', 'none', (s) => d.waitServerActive(op.instanceId, id, s));
  } else {
    await steps.run('use-existing-server', 'cloud', (s) =>
      d.useExistingServer(op.instanceId, plan, s),
    );
  }
  await steps.run('wait-ssh', 'none', (s) => d.waitForSsh(op.instanceId, plan, s));
  if (plan.kind === 'license')
    await steps.run('upload-package', 'ssh', (s) => d.uploadPackage(op.instanceId, plan, s));
  const license = await steps.run('issue-license', 'local', (s) =>
    d.issueLicense(op.instanceId, plan, `deploy:${op.id}`, undefined, s),
  );
  await steps.run('install-license', 'ssh', (s) =>
    d.installLicense(op.instanceId, plan, license, s),
  );
  if (plan.kind === 'license') {
    for (const hook of ['install', 'start', 'poststart'].filter((h) => plan.hooks.includes(h)))
      await steps.run(`hook-${hook}`, 'hook', (s) => d.runHook(op.instanceId, plan, hook, s));
  } else {
    await steps.run('first-boot', 'hook', (s) =>
      d.runHook(op.instanceId, plan, 'first-boot', s, plan.firstBootCommand),
    );
  }
  await steps.run('health-check', 'none', (s) => d.checkHealth(op.instanceId, plan, s));
  return steps.run('ready', 'local', (s) => d.access(op.instanceId, plan, s));
}
