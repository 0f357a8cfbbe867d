import type { ResourceTags } from './cloud-api.js';
import type { Call } from './huawei-call.js';
import type { HuaweiClients } from './huawei-clients.js';
import { read, wire } from './huawei-ecs.js';
import { fromTagList } from './tags.js';
import type { WireTaggedResource } from './wire-types.js';

export type TaggedKind = 'vpcs' | 'subnets' | 'security-groups';

export interface TaggedHit {
  id: string;
  name: string;
  tags: ResourceTags;
}

/**
 * Looks resources up through the VPC v2 tag filter (`POST /v2.0/{pid}/<kind>/resource_instances/action`),
 * which every region has, whichever API created the resource. Tags are ANDed; the name match is
 * fuzzy on the cloud side, so exact names are filtered here. Sorted by id so that, should an
 * earlier crash have left two, every caller picks the same one.
 */
export function createTagLookup(deps: { clients: HuaweiClients; call: Call }) {
  const { clients, call } = deps;
  const methods: Record<TaggedKind, (req: object) => Promise<unknown>> = {
    vpcs: (req) => clients.vpc2.listVpcsByTags(wire(req)),
    subnets: (req) => clients.vpc2.listSubnetsByTags(wire(req)),
    'security-groups': (req) => clients.vpc2.listSecurityGroupsByTags(wire(req)),
  };

  return async function findTagged(
    kind: TaggedKind,
    tags: ResourceTags,
    name?: string,
  ): Promise<TaggedHit[]> {
    const limit = 1000;
    const hits: TaggedHit[] = [];
    for (let offset = 0; offset < 100_000; offset += limit) {
      const body: Record<string, unknown> = {
        action: 'filter',
        limit,
        offset,
        tags: Object.entries(tags).map(([key, value]) => ({ key, values: [value] })),
      };
      if (name) body.matches = [{ key: 'resource_name', value: name }];
      const resp = await call(`vpc.list-${kind}-by-tags`, () => methods[kind]({ body }));
      const resources = read<{ resources?: WireTaggedResource[] }>(resp).resources ?? [];
      for (const r of resources) {
        if (!r.resource_id) continue;
        hits.push({ id: r.resource_id, name: r.resource_name ?? '', tags: fromTagList(r.tags) });
      }
      if (resources.length < limit) break;
    }
    return hits
      .filter((h) => name === undefined || h.name === name)
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  };
}

export type FindTagged = ReturnType<typeof createTagLookup>;
