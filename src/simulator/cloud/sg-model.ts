import { formatPorts } from '../../cloud/port-ranges.js';
import { nowIso, type SimContext } from './context.js';
import { codes, SimHttpError } from './sim-errors.js';
import { computeUsage, type SimRule, type SimSecurityGroup, type Tags } from './store.js';
import { checkTagCount, checkVpcTag } from './vpc-tags.js';

/**
 * Security groups shared by the v2 and v3 routes: one model, two renderings. A new group has
 * the four default rules (huawei-cloud.md §4): ingress from its own members, v4 and v6, and
 * egress anywhere, v4 and v6.
 */
export function createGroup(
  ctx: SimContext,
  input: {
    name: string;
    description?: string;
    tags: Tags;
    via: 'v2' | 'v3';
    enterpriseProjectId?: string;
  },
): SimSecurityGroup {
  const { store } = ctx;
  for (const [k, v] of Object.entries(input.tags)) checkVpcTag(k, v);
  checkTagCount(input.tags);
  const used = computeUsage(store);
  if (
    used.securityGroups >= store.quotas.securityGroups ||
    used.securityGroupRules + 4 > store.quotas.securityGroupRules
  ) {
    throw new SimHttpError(
      409,
      codes.vpcQuota,
      "Quota exceeded for resources: ['security_group'].",
    );
  }
  const group: SimSecurityGroup = {
    id: ctx.uuid(),
    name: input.name,
    description: input.description ?? '',
    tags: { ...input.tags },
    enterpriseProjectId: input.enterpriseProjectId ?? '0',
    createdVia: input.via,
    deleting: false,
    rules: [],
    createdAt: nowIso(ctx),
  };
  for (const ethertype of ['IPv4', 'IPv6'] as const) {
    group.rules.push(
      rule(ctx, group.id, { direction: 'ingress', ethertype, remoteGroupId: group.id }),
    );
    group.rules.push(rule(ctx, group.id, { direction: 'egress', ethertype }));
  }
  store.securityGroups.set(group.id, group);
  return group;
}

function rule(
  ctx: SimContext,
  groupId: string,
  r: Partial<SimRule> & Pick<SimRule, 'direction' | 'ethertype'>,
): SimRule {
  return {
    id: ctx.uuid(),
    groupId,
    protocol: null,
    ranges: undefined,
    remoteIpPrefix: null,
    remoteGroupId: null,
    action: 'allow',
    priority: 1,
    description: '',
    createdAt: nowIso(ctx),
    ...r,
  };
}

const same = (a: SimRule, b: Omit<SimRule, 'id' | 'createdAt' | 'description' | 'groupId'>) =>
  a.direction === b.direction &&
  a.ethertype === b.ethertype &&
  a.protocol === b.protocol &&
  formatPorts(a.ranges ?? []) === formatPorts(b.ranges ?? []) &&
  (a.ranges === undefined) === (b.ranges === undefined) &&
  a.remoteIpPrefix === b.remoteIpPrefix &&
  a.remoteGroupId === b.remoteGroupId &&
  a.action === b.action;

export function addRule(
  ctx: SimContext,
  group: SimSecurityGroup,
  spec: Omit<SimRule, 'id' | 'createdAt' | 'groupId'>,
): SimRule {
  if (group.rules.some((r) => same(r, spec))) {
    throw new SimHttpError(409, codes.vpcDuplicateRule, 'Security group rule already exists.');
  }
  if (computeUsage(ctx.store).securityGroupRules >= ctx.store.quotas.securityGroupRules) {
    throw new SimHttpError(
      409,
      codes.vpcQuota,
      "Quota exceeded for resources: ['security_group_rule'].",
    );
  }
  if (spec.remoteGroupId && !ctx.store.securityGroups.has(spec.remoteGroupId)) {
    throw new SimHttpError(
      404,
      codes.vpcResourceNotFound,
      `Security group ${spec.remoteGroupId} does not exist.`,
    );
  }
  const r = rule(ctx, group.id, spec);
  group.rules.push(r);
  ctx.hosts.refreshIngress([group.id]);
  return r;
}

export function groupOr404(ctx: SimContext, id: string): SimSecurityGroup {
  const g = ctx.store.securityGroups.get(id);
  if (!g)
    throw new SimHttpError(404, codes.vpcResourceNotFound, `Security group ${id} does not exist.`);
  return g;
}

export function findRule(
  ctx: SimContext,
  ruleId: string,
): { group: SimSecurityGroup; rule: SimRule } {
  for (const group of ctx.store.securityGroups.values()) {
    const r = group.rules.find((x) => x.id === ruleId);
    if (r) return { group, rule: r };
  }
  throw new SimHttpError(
    404,
    codes.vpcResourceNotFound,
    `Security group rule ${ruleId} does not exist.`,
  );
}

export function deleteRule(ctx: SimContext, ruleId: string): void {
  const { group, rule: r } = findRule(ctx, ruleId);
  group.rules = group.rules.filter((x) => x !== r);
  ctx.hosts.refreshIngress([group.id]);
}

/**
 * A group used by a server (a deleted one too, until its port is released) is refused: v3 409
 * VPC.9902 "Security group xxx is in use", v1 409. Otherwise the 204 starts the delete and GET
 * shows the group until it is gone.
 */
export function deleteGroup(ctx: SimContext, id: string, via: 'v2' | 'v3'): void {
  const g = groupOr404(ctx, id);
  const inUse = (detail: string) =>
    via === 'v3'
      ? new SimHttpError(409, codes.sgInUseV3, `Security group ${id} is in use. ${detail}`)
      : new SimHttpError(409, codes.vpcInUse, `Security group ${id} is in use. ${detail}`);
  const users = [...ctx.store.servers.values()].filter((s) => s.securityGroupIds.includes(id));
  if (users.length > 0) throw inUse(`${users.length} server port(s) still use it.`);
  for (const other of ctx.store.securityGroups.values()) {
    if (other.id !== id && other.rules.some((r) => r.remoteGroupId === id)) {
      throw inUse(`Rules of group ${other.id} refer to it.`);
    }
  }
  if (g.deleting) return;
  g.deleting = true;
  ctx.scheduler.at(ctx.clock.now().getTime() + ctx.latency.draw('securityGroupDeleteMs'), () => {
    ctx.store.securityGroups.delete(g.id);
  });
}

export function renderRuleV2(r: SimRule) {
  const first = r.ranges?.[0];
  return {
    id: r.id,
    description: r.description,
    security_group_id: r.groupId,
    direction: r.direction,
    ethertype: r.ethertype,
    protocol: r.protocol,
    port_range_min: first ? first.min : null,
    // A v3 multiport rule has several ranges; v2 can show only one (the first).
    port_range_max: first ? first.max : null,
    remote_ip_prefix: r.remoteIpPrefix,
    remote_group_id: r.remoteGroupId,
    tenant_id: '',
  };
}

export function renderRuleV3(r: SimRule) {
  return {
    id: r.id,
    description: r.description,
    security_group_id: r.groupId,
    direction: r.direction,
    protocol: r.protocol ?? '',
    ethertype: r.ethertype,
    multiport: r.ranges ? formatPorts(r.ranges) : '',
    action: r.action,
    priority: r.priority,
    remote_group_id: r.remoteGroupId ?? '',
    remote_ip_prefix: r.remoteIpPrefix ?? '',
    remote_address_group_id: '',
    created_at: r.createdAt,
    updated_at: r.createdAt,
    project_id: '',
    enabled: true,
  };
}
