import type { IngressRuleSpec } from '../../cloud/cloud-api.js';
import { kgdTags } from '../../cloud/tags.js';
import type { Instance } from '../../platform/db/schema.js';
import type { StepScope } from '../engine/steps.js';
import type { DeployPlan } from '../model/plan.js';
import { type DeployDeps, instanceOf, productOf, resourceName } from './deps.js';

export function tagsOf(inst: Pick<Instance, 'id' | 'order_id'>) {
  return kgdTags({ instanceId: inst.id, orderId: inst.order_id });
}

function gatewayOf(cidr: string): string {
  const [base] = cidr.split('/');
  const octets = base!.split('.').map(Number);
  octets[3] = octets[3]! + 1;
  return octets.join('.');
}

/** The template's DNS servers for the region, if it gives them (else the adapter's table). */
function dnsOf(plan: DeployPlan) {
  const [primary, secondary] = plan.regionOverride?.dns ?? [];
  return primary ? { dns: { primary, ...(secondary ? { secondary } : {}) } } : {};
}

/** Network steps: the instance's VPC and subnet (or the shared ones), and its security group. */
export function createNetworkSteps(deps: DeployDeps) {
  /** The product's ports and the deployer's SSH. */
  const securityRules = (plan: DeployPlan): IngressRuleSpec[] => {
    const product = productOf(deps, plan);
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
  };

  return {
    securityRules,

    /** VPC and subnet: the instance's own (found by name and tags, else created) or the shared ones. */
    async ensureNetwork(instanceId: string, plan: DeployPlan, s: StepScope) {
      if (plan.network.mode === 'shared') {
        const { vpcId, subnetId } = plan.network;
        await deps.store.updateInstance(instanceId, { vpc_id: vpcId, subnet_id: subnetId });
        return { vpcId, subnetId };
      }
      const inst = await instanceOf(deps, instanceId);
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
        ...dnsOf(plan),
        tags,
      });
      await deps.store.updateInstance(inst.id, {
        vpc_id: vpc.id,
        subnet_id: subnet.id,
        updated_at: deps.clock.now(),
      });
      await s.log('info', `network ready: VPC ${vpc.id}, subnet ${subnet.id}`);
      return { vpcId: vpc.id, subnetId: subnet.id };
    },

    /** The security group opened for the product's ports and for the deployer's SSH. */
    async ensureSecurityGroup(instanceId: string, plan: DeployPlan, s: StepScope) {
      const inst = await instanceOf(deps, instanceId);
      const rules = securityRules(plan);
      const sg = await deps.cloud.ensureSecurityGroup({
        name: resourceName(inst.id),
        tags: tagsOf(inst),
        rules,
      });
      await deps.store.updateInstance(inst.id, {
        security_group_id: sg.id,
        updated_at: deps.clock.now(),
      });
      await s.log(
        'info',
        `security group ${sg.id} admits ${rules.map((r) => `${r.protocol}/${r.ports || '*'}`).join(', ')}`,
      );
      return { securityGroupId: sg.id };
    },
  };
}
