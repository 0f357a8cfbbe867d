import type { CloudApi } from '../../cloud/cloud-api.js';
import { tagKeys } from '../../cloud/tags.js';
import type { Db } from '../../platform/db/database.js';
import type { SweepCandidate } from '../model.js';

/** Instance states whose cloud resources nobody needs any more. */
const sweepable = { released: 'released', failed: 'failed' } as const;

/**
 * Lists what the project created in the cloud (tag `kgd-managed=true`) and keeps what belongs
 * to an instance that is released, failed, or unknown to this database: leftovers of a crash, a
 * failed deploy kept for inspection, or another installation's resources (check before deleting).
 * Shared VPCs and subnets (not owned) are never listed.
 */
export async function scanSweep(deps: {
  db: Db;
  cloud: Pick<CloudApi, 'findServersByTag' | 'findNetworkByTag'>;
}): Promise<SweepCandidate[]> {
  const [servers, network] = await Promise.all([
    deps.cloud.findServersByTag(tagKeys.managed, 'true'),
    deps.cloud.findNetworkByTag(tagKeys.managed, 'true'),
  ]);
  const groups = new Map<string, SweepCandidate>();
  const group = (tags: Record<string, string>) => {
    const id = tags[tagKeys.instance] ?? '';
    let g = groups.get(id);
    if (!g) {
      g = {
        instanceId: id,
        why: 'unknown',
        servers: [],
        securityGroups: [],
        subnets: [],
        vpcs: [],
      };
      groups.set(id, g);
    }
    return g;
  };
  for (const s of servers) group(s.tags).servers.push({ id: s.id, name: s.name, status: s.status });
  for (const sg of network.securityGroups)
    group(sg.tags).securityGroups.push({ id: sg.id, name: sg.name });
  for (const sn of network.subnets.filter((x) => x.owned))
    group(sn.tags).subnets.push({ id: sn.id, name: sn.name, vpcId: sn.vpcId });
  for (const v of network.vpcs.filter((x) => x.owned))
    group(v.tags).vpcs.push({ id: v.id, name: v.name });

  const ids = [...groups.keys()].filter(Boolean);
  const known = ids.length
    ? await deps.db
        .selectFrom('instances')
        .select(['id', 'status'])
        .where('id', 'in', ids)
        .execute()
    : [];
  const statusOf = new Map(known.map((k) => [k.id, k.status]));
  const out: SweepCandidate[] = [];
  for (const g of groups.values()) {
    const status = statusOf.get(g.instanceId);
    if (status === undefined) out.push({ ...g, why: 'unknown' });
    else if (status in sweepable)
      out.push({ ...g, why: sweepable[status as keyof typeof sweepable] });
  }
  return out.sort((a, b) => a.instanceId.localeCompare(b.instanceId));
}

export const resourceCount = (c: SweepCandidate) =>
  c.servers.length + c.securityGroups.length + c.subnets.length + c.vpcs.length;
