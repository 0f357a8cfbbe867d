import type { IngressRuleSpec } from '../../cloud/cloud-api.js';
import { kgdTags } from '../../cloud/tags.js';
import type { Instance } from '../../platform/db/schema.js';
import type { EngineDeps, StepScope } from '../flow-context.js';
import type { DeployPlan } from '../plan.js';
import { updateInstance } from '../store.js';

export const resourceName = (instanceId: string) => `kgd-${instanceId}`;

export function tagsOf(inst: Pick<Instance, 'id' | 'order_id'>) {
  return kgdTags({ instanceId: inst.id, orderId: inst.order_id });
}

function gatewayOf(cidr: string): string {
  const [base] = cidr.split('/');
  const octets = base!.split('.').map(Number);
  octets[3] = octets[3]! + 1;
  return octets.join('.');
}

/** VPC and subnet: the instance's own (found by name and tags, else created) or the shared ones. */
export async function ensureNetwork(
  deps: EngineDeps,
  inst: Instance,
  plan: DeployPlan,
  s: StepScope,
) {
  if (plan.network.mode === 'shared') {
    await updateInstance(deps.db, inst.id, {
      vpc_id: plan.network.vpcId,
      subnet_id: plan.network.subnetId,
    });
    return { vpcId: plan.network.vpcId, subnetId: plan.network.subnetId };
  }
  const tags = tagsOf(inst);
  const vpc = await deps.cloud.ensureVpc({
    name: resourceName(inst.id),
    cidr: plan.network.vpcCidr,
    tags,
  });
  const subnet = await deps.cloud.ensureSubnet({
    vpcId: vpc.id,
    name: resourceName(inst.id),
    cidr: plan.network.subnetCidr,
    gatewayIp: gatewayOf(plan.network.subnetCidr),
    tags,
  });
  await updateInstance(deps.db, inst.id, {
    vpc_id: vpc.id,
    subnet_id: subnet.id,
    updated_at: deps.clock.now(),
  });
  await s.log('info', `network ready: VPC ${vpc.id}, subnet ${subnet.id}`);
  return { vpcId: vpc.id, subnetId: subnet.id };
}

export function securityRules(deps: EngineDeps, plan: DeployPlan): IngressRuleSpec[] {
  const product = deps.catalog.byName(plan.productName)!;
  return [
    {
      direction: 'ingress',
      protocol: 'tcp',
      ports: String(plan.sshPort),
      remoteIpPrefix: product.ssh.sourceCidr,
    },
    ...product.securityGroup.rules.map((r) => ({
      direction: 'ingress' as const,
      protocol: r.protocol,
      ports: r.protocol === 'icmp' ? '' : r.ports,
      remoteIpPrefix: r.source,
    })),
  ];
}

/** The security group opened for the product's ports and for the deployer's SSH. */
export async function ensureSecurityGroup(
  deps: EngineDeps,
  inst: Instance,
  plan: DeployPlan,
  s: StepScope,
) {
  const rules = securityRules(deps, plan);
  const sg = await deps.cloud.ensureSecurityGroup({
    name: resourceName(inst.id),
    tags: tagsOf(inst),
    rules,
  });
  await updateInstance(deps.db, inst.id, {
    security_group_id: sg.id,
    updated_at: deps.clock.now(),
  });
  await s.log(
    'info',
    `security group ${sg.id} admits ${rules.map((r) => `${r.protocol}/${r.ports || '*'}`).join(', ')}`,
  );
  return { securityGroupId: sg.id };
}
