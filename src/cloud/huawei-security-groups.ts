import type { CloudApi, IngressRuleSpec, SecurityGroupResource } from './cloud-api.js';
import { CloudConflict, CloudNotFound } from './errors.js';
import type { Call } from './huawei-call.js';
import type { HuaweiClients } from './huawei-clients.js';
import { deleteUntilGone } from './huawei-delete.js';
import { badInput, read, wire } from './huawei-ecs.js';
import { type EnsureDeps, findOrCreate } from './huawei-ensure.js';
import type { HuaweiCloudSettings } from './huawei-settings.js';
import type { FindTagged } from './huawei-tag-lookup.js';
import { formatPorts, missingRanges, type PortRange, parsePorts } from './port-ranges.js';
import { toTagList, validateTags } from './tags.js';
import type { WireSecurityGroup, WireSecurityGroupRule } from './wire-types.js';

/** The gateway's answer for an API a region does not publish (some regions lack VPC v3). */
const apiMissing = (e: unknown) => e instanceof CloudNotFound && e.code === 'APIGW.0101';
/** v3 accepts up to 20 ports or ranges in one `multiport`. */
const multiportMax = 20;
const allPorts: PortRange[] = [{ min: 1, max: 65535 }];

function validateRules(rules: IngressRuleSpec[]): void {
  if (!Array.isArray(rules)) throw badInput('ensureSecurityGroup', 'rules', 'must be a list');
  rules.forEach((r, i) => {
    const at = `rules[${i}]`;
    if (r.direction !== 'ingress' && r.direction !== 'egress') {
      throw badInput('ensureSecurityGroup', `${at}.direction`, 'must be ingress or egress');
    }
    if (!['tcp', 'udp', 'icmp'].includes(r.protocol)) {
      throw badInput('ensureSecurityGroup', `${at}.protocol`, 'must be tcp, udp or icmp');
    }
    try {
      parsePorts(r.ports);
    } catch (e) {
      throw badInput('ensureSecurityGroup', `${at}.ports`, (e as Error).message);
    }
    if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(r.remoteIpPrefix ?? '')) {
      throw badInput(
        'ensureSecurityGroup',
        `${at}.remoteIpPrefix`,
        'must be a CIDR such as 0.0.0.0/0',
      );
    }
  });
}

/** Ports an existing rule opens for (direction, protocol, prefix); undefined if it does not apply. */
function coveredBy(rule: WireSecurityGroupRule, want: IngressRuleSpec): PortRange[] | undefined {
  if (rule.direction !== want.direction || rule.action === 'deny') return undefined;
  if (rule.ethertype && rule.ethertype !== 'IPv4') return undefined;
  if (rule.remote_group_id || (rule.remote_ip_prefix ?? '0.0.0.0/0') !== want.remoteIpPrefix)
    return undefined;
  const proto = rule.protocol ?? null;
  if (proto !== null && proto !== want.protocol) return undefined;
  if (rule.multiport) return parsePorts(rule.multiport);
  if (rule.port_range_min == null) return allPorts;
  return [{ min: rule.port_range_min, max: rule.port_range_max ?? rule.port_range_min }];
}

/** Security groups: VPC v3 (multiport rules), falling back to v2 where the region lacks v3. */
export function createSecurityGroupOperations(
  deps: EnsureDeps & {
    clients: HuaweiClients;
    call: Call;
    settings: HuaweiCloudSettings;
    findTagged: FindTagged;
  },
): Pick<CloudApi, 'ensureSecurityGroup' | 'deleteSecurityGroup'> & { apiVersion(): 'v3' | 'v2' } {
  const { clients, call, settings, findTagged } = deps;
  let v3 = true;

  /** Runs the v3 call, or the v2 one once the region has shown it lacks v3. */
  async function either<T>(viaV3: () => Promise<T>, viaV2: () => Promise<T>): Promise<T> {
    if (v3) {
      try {
        return await viaV3();
      } catch (e) {
        if (!apiMissing(e)) throw e;
        v3 = false;
      }
    }
    return viaV2();
  }

  const listRules = (groupId: string) =>
    either(
      async () => {
        const resp = await call('vpc3.listSecurityGroupRules', () =>
          clients.vpc3.listSecurityGroupRules(wire({ security_group_id: [groupId], limit: 2000 })),
        );
        return (
          read<{ security_group_rules?: WireSecurityGroupRule[] }>(resp).security_group_rules ?? []
        );
      },
      async () => {
        const resp = await call('vpc.listSecurityGroupRules', () =>
          clients.vpc2.listSecurityGroupRules(wire({ security_group_id: groupId, limit: 2000 })),
        );
        return (
          read<{ security_group_rules?: WireSecurityGroupRule[] }>(resp).security_group_rules ?? []
        );
      },
    );

  /** The group as the cloud shows it, or undefined once it is gone. */
  const showGroup = async (id: string): Promise<WireSecurityGroup | undefined> => {
    try {
      return await either(
        async () => {
          const resp = await call('vpc3.showSecurityGroup', () =>
            clients.vpc3.showSecurityGroup(wire({ security_group_id: id })),
          );
          return read<{ security_group?: WireSecurityGroup }>(resp).security_group;
        },
        async () => {
          const resp = await call('vpc.showSecurityGroup', () =>
            clients.vpc2.showSecurityGroup(wire({ security_group_id: id })),
          );
          return read<{ security_group?: WireSecurityGroup }>(resp).security_group;
        },
      );
    } catch (e) {
      if (e instanceof CloudNotFound && !apiMissing(e)) return undefined;
      throw e;
    }
  };

  /** A duplicate rule answers 409: it exists, which is what we wanted. */
  const tolerateDuplicate = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (e) {
      if (!(e instanceof CloudConflict)) throw e;
    }
  };

  async function addRule(
    groupId: string,
    rule: IngressRuleSpec,
    ranges: PortRange[],
  ): Promise<void> {
    const base = {
      security_group_id: groupId,
      direction: rule.direction,
      ethertype: 'IPv4',
      protocol: rule.protocol,
      remote_ip_prefix: rule.remoteIpPrefix,
      description: 'kgd',
    };
    await either(
      async () => {
        const chunks: PortRange[][] = ranges.length === 0 ? [[]] : [];
        for (let i = 0; i < ranges.length; i += multiportMax)
          chunks.push(ranges.slice(i, i + multiportMax));
        for (const chunk of chunks) {
          const body = {
            security_group_rule: {
              ...base,
              action: 'allow',
              priority: 1,
              ...(chunk.length ? { multiport: formatPorts(chunk) } : {}),
            },
          };
          await tolerateDuplicate(() =>
            call('vpc3.createSecurityGroupRule', () =>
              clients.vpc3.createSecurityGroupRule(wire({ body })),
            ),
          );
        }
      },
      async () => {
        for (const r of ranges.length === 0 ? [undefined] : ranges) {
          const body = {
            security_group_rule: {
              ...base,
              ...(r ? { port_range_min: r.min, port_range_max: r.max } : {}),
            },
          };
          await tolerateDuplicate(() =>
            call('vpc.createSecurityGroupRule', () =>
              clients.vpc2.createSecurityGroupRule(wire({ body })),
            ),
          );
        }
      },
    );
  }

  async function createGroup(name: string, tags: Record<string, string>): Promise<string> {
    return either(
      async () => {
        const group: Record<string, unknown> = { name, description: 'kgd', tags: toTagList(tags) };
        if (settings.enterpriseProjectId)
          group.enterprise_project_id = settings.enterpriseProjectId;
        const resp = await call(
          'vpc3.createSecurityGroup',
          () => clients.vpc3.createSecurityGroup(wire({ body: { security_group: group } })),
          { retry: false },
        );
        const id = read<{ security_group?: WireSecurityGroup }>(resp).security_group?.id;
        if (!id) throw badInput('vpc3.createSecurityGroup', 'answer', 'lacks security_group.id');
        return id;
      },
      async () => {
        const group: Record<string, unknown> = { name };
        if (settings.enterpriseProjectId)
          group.enterprise_project_id = settings.enterpriseProjectId;
        const resp = await call(
          'vpc.createSecurityGroup',
          () => clients.vpc2.createSecurityGroup(wire({ body: { security_group: group } })),
          { retry: false },
        );
        const id = read<{ security_group?: WireSecurityGroup }>(resp).security_group?.id;
        if (!id) throw badInput('vpc.createSecurityGroup', 'answer', 'lacks security_group.id');
        await tagV2Group(id, tags);
        return id;
      },
    );
  }

  // v2 groups take their tags in a second call (idempotent: existing keys are overwritten).
  const tagV2Group = (id: string, tags: Record<string, string>) =>
    call('vpc.batchCreateSecurityGroupTags', () =>
      clients.vpc2.batchCreateSecurityGroupTags(
        wire({ security_group_id: id, body: { action: 'create', tags: toTagList(tags) } }),
      ),
    );

  /** v2 only: a group created but not yet tagged (crash between the two calls) is found by name. */
  async function findUntaggedV2(
    name: string,
    tags: Record<string, string>,
  ): Promise<string | undefined> {
    if (v3) return undefined;
    let marker: string | undefined;
    for (let page = 0; page < 100; page++) {
      const resp = await call('vpc.listSecurityGroups', () =>
        clients.vpc2.listSecurityGroups(wire({ limit: 1000, ...(marker ? { marker } : {}) })),
      );
      const groups = read<{ security_groups?: WireSecurityGroup[] }>(resp).security_groups ?? [];
      const hit = groups.find((g) => g.name === name && g.id);
      if (hit?.id) {
        await tagV2Group(hit.id, tags);
        return hit.id;
      }
      if (groups.length < 1000) return undefined;
      marker = groups[groups.length - 1]?.id;
    }
    return undefined;
  }

  return {
    apiVersion: () => (v3 ? 'v3' : 'v2'),

    async ensureSecurityGroup(input): Promise<SecurityGroupResource> {
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(input.name ?? '')) {
        throw badInput('ensureSecurityGroup', 'name', 'must be 1-64 letters, digits, _ . -');
      }
      try {
        validateTags(input.tags ?? {});
      } catch (e) {
        throw badInput('ensureSecurityGroup', 'tags', (e as Error).message);
      }
      validateRules(input.rules);
      const id = await findOrCreate(
        deps,
        async () =>
          (await findTagged('security-groups', input.tags, input.name))[0]?.id ??
          (await findUntaggedV2(input.name, input.tags)),
        () => createGroup(input.name, input.tags),
      );
      const existing = await listRules(id);
      for (const rule of input.rules) {
        const have = existing.flatMap((r) => coveredBy(r, rule) ?? []);
        const wanted =
          rule.protocol === 'icmp' || rule.ports.trim() === '' ? allPorts : parsePorts(rule.ports);
        const missing = missingRanges(wanted, have);
        if (missing.length === 0) continue;
        await addRule(id, rule, rule.protocol === 'icmp' ? [] : missing);
      }
      return { id, name: input.name, tags: input.tags, api: v3 ? 'v3' : 'v2' };
    },

    async deleteSecurityGroup(id) {
      if (!id) throw badInput('deleteSecurityGroup', 'id', 'must be a non-empty string');
      const once = { retry: false } as const;
      await deleteUntilGone(
        { ...deps, budgetMs: settings.deleteTimeoutMs },
        {
          description: `security group ${id}`,
          operation: 'vpc.deleteSecurityGroup',
          show: () => showGroup(id),
          remove: () =>
            either(
              () =>
                call(
                  'vpc3.deleteSecurityGroup',
                  () => clients.vpc3.deleteSecurityGroup(wire({ security_group_id: id })),
                  once,
                ),
              () =>
                call(
                  'vpc.deleteSecurityGroup',
                  () => clients.vpc2.deleteSecurityGroup(wire({ security_group_id: id })),
                  once,
                ),
            ),
        },
      );
    },
  };
}
