import type { IngressRule } from '../hosts/simulated-hosts.js';
import type { CloudStore, SimServer } from './store.js';

/**
 * Which ports of a server's EIP reach the machine: the union of its security groups' IPv4
 * ingress allow rules that admit an address range. Rules admitting only members of a group
 * (`remote_group_id`, as the defaults do) admit no outside address, so they open nothing here.
 */
export function ingressFor(store: CloudStore, server: SimServer): IngressRule[] {
  const out: IngressRule[] = [];
  for (const groupId of server.securityGroupIds) {
    const group = store.securityGroups.get(groupId);
    for (const rule of group?.rules ?? []) {
      if (rule.direction !== 'ingress' || rule.ethertype !== 'IPv4' || rule.action !== 'allow')
        continue;
      if (rule.remoteGroupId && !rule.remoteIpPrefix) continue;
      const protocol =
        rule.protocol === null
          ? 'any'
          : ['tcp', 'udp', 'icmp'].includes(rule.protocol)
            ? rule.protocol
            : undefined;
      if (!protocol) continue;
      const remoteIpPrefix = rule.remoteIpPrefix ?? '0.0.0.0/0';
      if (!rule.ranges || protocol === 'icmp' || protocol === 'any') {
        out.push({ protocol: protocol as IngressRule['protocol'], remoteIpPrefix });
        continue;
      }
      for (const r of rule.ranges) {
        out.push({
          protocol: protocol as IngressRule['protocol'],
          portMin: r.min,
          portMax: r.max,
          remoteIpPrefix,
        });
      }
    }
  }
  return out;
}
