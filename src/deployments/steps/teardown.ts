import type { CloudApi, ServerInfo } from '../../cloud/cloud-api.js';
import { tagKeys } from '../../cloud/tags.js';
import { waitForJob } from '../../cloud/wait-for-job.js';
import type { Clock } from '../../platform/clock.js';
import { pollUntil } from '../../platform/poll.js';
import { timeouts } from '../engine/policies.js';

/**
 * The one teardown: what we created, deleted in reverse order of creation — servers (with their
 * EIP and volumes; an EIP the server's delete left behind after them), then security groups,
 * subnets and VPCs, each delete retried while the cloud
 * answers "still in use" or a transient code, and awaited until the resource is really gone
 * (deletes are asynchronous, huawei-cloud.md §5.4) — then verified: nothing tagged with the instance may remain. Release,
 * a failed deploy's cleanup (steps `delete-servers`, `delete-network`, `verify-teardown`) and
 * the operators' sweep all use it. Every part is idempotent: a crash halfway and a rerun finish it.
 */
export interface TeardownDeps {
  cloud: CloudApi;
  clock: Clock;
}

export interface TeardownScope {
  signal?: AbortSignal;
  log(level: 'info' | 'warn', message: string): Promise<void>;
}

/** What a teardown deletes: ids are enough. */
export interface Resources {
  /** With their EIP addresses when known: an EIP a server's delete leaves behind is deleted too. */
  servers: Array<{ id: string; floatingIps?: string[] }>;
  securityGroups: Array<{ id: string }>;
  subnets: Array<{ id: string; vpcId: string }>;
  vpcs: Array<{ id: string }>;
}

const live = (s: ServerInfo) => s.status !== 'DELETED' && s.status !== 'SOFT_DELETED';

/** Everything tagged with the instance that is ours to delete (shared networks are not). */
async function taggedWith(cloud: CloudApi, instanceId: string): Promise<Resources> {
  const [servers, net] = await Promise.all([
    cloud.findServersByTag(tagKeys.instance, instanceId),
    cloud.findNetworkByTag(tagKeys.instance, instanceId),
  ]);
  return {
    servers: servers.filter(live),
    securityGroups: net.securityGroups,
    subnets: net.subnets.filter((x) => x.owned),
    vpcs: net.vpcs.filter((x) => x.owned),
  };
}

const count = (r: Resources) =>
  r.servers.length + r.securityGroups.length + r.subnets.length + r.vpcs.length;

/**
 * Deletes the servers with their EIP and volumes and waits until they are gone; then deletes on
 * its own any EIP of theirs the delete left behind (also used before a new create replaces an
 * ERROR server a failed job left).
 */
export async function deleteServers(
  deps: TeardownDeps,
  r: Pick<Resources, 'servers'>,
  s: TeardownScope,
) {
  if (r.servers.length === 0) return 0;
  const ids = r.servers.map((x) => x.id);
  const addresses = r.servers.flatMap((x) => x.floatingIps ?? []);
  // The addresses are ours until the delete below: an EIP holding one since then is not.
  const stillOurs = deps.clock.now();
  // Ecs.0501 (system disk still downloading) and Ecs.0603 (busy) refuse a delete for a while.
  const { jobId } = await untilFree(deps, s, `server(s) ${ids.join(', ')}`, () =>
    deps.cloud.deleteServers(ids, { deletePublicIp: true, deleteVolume: true }),
  );
  await s.log('info', `deleting server(s) ${ids.join(', ')} with their EIP and volumes`);
  if (jobId)
    await waitForJob(deps.cloud, jobId, {
      clock: deps.clock,
      timeoutMs: timeouts.deleteJobMs,
      ...(s.signal ? { signal: s.signal } : {}),
    });
  // A finished job is not a deleted server: it lingers (then DELETED) for a while (§5.4).
  await pollUntil(
    `server(s) ${ids.join(', ')} to be gone`,
    {
      clock: deps.clock,
      timeoutMs: timeouts.deleteJobMs,
      ...(s.signal ? { signal: s.signal } : {}),
    },
    async () => {
      const left = await Promise.all(ids.map((id) => deps.cloud.getServer(id)));
      return left.every((x) => x === undefined || !live(x)) ? true : undefined;
    },
  );
  // The delete takes the EIPs with the servers, or may not: one left behind, unbound, is
  // deleted on its own and awaited like the rest (§5.4: servers, then EIPs, then the network).
  for (const address of addresses) {
    const deleted = await untilFree(deps, s, `EIP ${address}`, () =>
      deps.cloud.deleteDetachedEip(address, stillOurs),
    );
    if (deleted) await s.log('warn', `EIP ${address} outlived its server: deleted on its own`);
  }
  return ids.length;
}

/**
 * Retries a delete the cloud answers "still in use" or "not now" (`Retryable`, with the wait it
 * asked for) until what uses it is gone; anything else the cloud refuses ends it at once.
 */
function untilFree<T>(deps: TeardownDeps, s: TeardownScope, what: string, del: () => Promise<T>) {
  return pollUntil(
    `${what} to be deleted`,
    {
      clock: deps.clock,
      timeoutMs: timeouts.teardownVerifyMs,
      ...(s.signal ? { signal: s.signal } : {}),
    },
    // A Retryable thrown here is "not yet": the next try waits at least as long as it asks.
    async () => ({ value: await del() }),
  ).then((r) => r.value);
}

async function deleteNetwork(deps: TeardownDeps, r: Omit<Resources, 'servers'>, s: TeardownScope) {
  for (const sg of r.securityGroups)
    await untilFree(deps, s, `security group ${sg.id}`, () =>
      deps.cloud.deleteSecurityGroup(sg.id),
    );
  for (const subnet of r.subnets)
    await untilFree(deps, s, `subnet ${subnet.id}`, () =>
      deps.cloud.deleteSubnet(subnet.vpcId, subnet.id),
    );
  for (const vpc of r.vpcs)
    await untilFree(deps, s, `VPC ${vpc.id}`, () => deps.cloud.deleteVpc(vpc.id));
  const n = r.securityGroups.length + r.subnets.length + r.vpcs.length;
  if (n > 0)
    await s.log(
      'info',
      `deleted ${r.securityGroups.length} security group(s), ${r.subnets.length} subnet(s), ${r.vpcs.length} VPC(s)`,
    );
  return n;
}

/** Deletes everything listed, in order (the sweep's candidates). */
export async function deleteResources(deps: TeardownDeps, r: Resources, s: TeardownScope) {
  return (await deleteServers(deps, r, s)) + (await deleteNetwork(deps, r, s));
}

/** Lists everything tagged with the instance; deletes again what a late create left, until none. */
async function verifyTeardown(deps: TeardownDeps, instanceId: string, s: TeardownScope) {
  let rounds = 0;
  await pollUntil(
    `nothing tagged kgd-instance=${instanceId} to remain`,
    {
      clock: deps.clock,
      timeoutMs: timeouts.teardownVerifyMs,
      ...(s.signal ? { signal: s.signal } : {}),
    },
    async () => {
      rounds++;
      const left = await taggedWith(deps.cloud, instanceId);
      if (count(left) === 0) return true;
      await s.log(
        'warn',
        `still tagged with the instance: ${left.servers.length} server(s), ${count(left) - left.servers.length} network resource(s); deleting again`,
      );
      await deleteResources(deps, left, s);
      return undefined;
    },
  );
  return { rounds };
}

/** The teardown's steps, by instance tag. */
export function createTeardownSteps(deps: TeardownDeps) {
  return {
    deleteServers: async (instanceId: string, s: TeardownScope) =>
      deleteServers(deps, await taggedWith(deps.cloud, instanceId), s),
    deleteNetwork: async (instanceId: string, s: TeardownScope) =>
      deleteNetwork(deps, await taggedWith(deps.cloud, instanceId), s),
    verifyTeardown: (instanceId: string, s: TeardownScope) => verifyTeardown(deps, instanceId, s),
  };
}
