import type { CloudApi, ResourceTags } from '../../../src/cloud/cloud-api.js';
import type { Clock } from '../../../src/platform/clock.js';
import {
  type CloudMethod,
  createFaultTable,
  type FakeCloudFaults,
  inUseError,
} from './cloud-faults.js';
import { createServerOperations } from './cloud-servers.js';
import {
  checkInput,
  createFakeState,
  defaultDurations,
  type FakeCloudDurations,
  type FakeCloudInventory,
  type FakeSubnet,
  type FakeVpc,
  findByNameAndTags,
  notFound,
  stableJson,
} from './cloud-state.js';

export interface FakeCloudOptions {
  clock: Clock;
  region?: string;
  /** Default: the region's a, b and c. */
  azs?: string[];
  flavors?: string[];
  images?: string[];
  durations?: Partial<FakeCloudDurations>;
  /** An operator's VPC and subnet, there from the start: ensure* answers them, deletes keep them. */
  sharedNetwork?: { vpcId: string; subnetId: string };
}

export const fakeImageId = 'fake-image-ubuntu-2204';
export const fakeFlavors = ['s6.small.1', 's6.medium.2', 's6.large.2', 's6.xlarge.2', 'c7.large.2'];

/**
 * The in-memory `CloudApi` for unit tests of flows and the sweep: VPCs, subnets, security groups,
 * servers with their EIPs, tags, client-token idempotency, and jobs that end on the clock
 * (`createManualClock({ auto: true })` ends them at once, in order). Errors are the adapter's
 * classes. test/contract/ holds it to the real adapter's behaviour.
 *
 * @example
 *   const clock = createManualClock({ auto: true });
 *   const cloud = createFakeCloud({ clock });
 *   cloud.faults.soldOut({ az: 'cn-north-4a' });
 *   await runDeploy({ cloud, clock });
 *   expect(cloud.inventory().servers.map((s) => s.az)).toEqual(['cn-north-4b']);
 *   expect(cloud.callsOf('createServer')).toHaveLength(2);
 */
export interface FakeCloud extends CloudApi {
  readonly faults: FakeCloudFaults;
  /** Everything that exists now (transitions due by the clock applied first). */
  inventory(): FakeCloudInventory;
  /** Every port call, in order, with copies of its arguments. */
  readonly calls: ReadonlyArray<{ method: CloudMethod; args: unknown[] }>;
  callsOf(method: CloudMethod): unknown[][];
}

export function createFakeCloud(options: FakeCloudOptions): FakeCloud {
  const region = options.region ?? 'cn-north-4';
  const state = createFakeState(options.clock);
  const faults = createFaultTable();
  const ecs = createServerOperations(
    state,
    {
      azs: options.azs ?? ['a', 'b', 'c'].map((s) => `${region}${s}`),
      flavors: new Set(options.flavors ?? fakeFlavors),
      images: new Set(options.images ?? [fakeImageId]),
    },
    { ...defaultDurations, ...options.durations },
    faults,
  );
  const { vpcs, subnets, groups, servers } = state;
  const shared = options.sharedNetwork;
  if (shared) {
    const common = { name: 'shared', owned: false, tags: {} };
    vpcs.set(shared.vpcId, { ...common, id: shared.vpcId, cidr: '10.0.0.0/16', status: 'OK' });
    subnets.set(shared.subnetId, {
      ...common,
      id: shared.subnetId,
      vpcId: shared.vpcId,
      cidr: '10.0.1.0/24',
      status: 'ACTIVE',
    });
  }
  const tagged = <T extends { tags: ResourceTags }>(all: Iterable<T>, key: string, value: string) =>
    [...all].filter((r) => r.tags[key] === value).map((r) => structuredClone(r));

  const network: Omit<CloudApi, keyof typeof ecs> = {
    async ensureVpc(input) {
      if (shared) return structuredClone(vpcs.get(shared.vpcId)!);
      checkInput('ensureVpc', input.name, input.tags, input.cidr);
      const found = findByNameAndTags(vpcs.values(), input.name, input.tags);
      if (found) return structuredClone(found);
      const vpc: FakeVpc = {
        id: state.id('vpc'),
        name: input.name,
        cidr: input.cidr,
        status: 'OK',
        owned: true,
        tags: { ...input.tags },
      };
      vpcs.set(vpc.id, vpc);
      return structuredClone(vpc);
    },

    async ensureSubnet(input) {
      if (shared) return structuredClone(subnets.get(shared.subnetId)!);
      checkInput('ensureSubnet', input.name, input.tags, input.cidr);
      if (!vpcs.has(input.vpcId))
        throw notFound('vpc.createSubnet', `VPC ${input.vpcId}`, 'VPC.0003');
      const inVpc = [...subnets.values()].filter((s) => s.vpcId === input.vpcId);
      const found = findByNameAndTags(inVpc, input.name, input.tags);
      if (found) return structuredClone(found);
      const subnet: FakeSubnet = {
        id: state.id('subnet'),
        name: input.name,
        cidr: input.cidr,
        vpcId: input.vpcId,
        status: 'ACTIVE',
        owned: true,
        tags: { ...input.tags },
      };
      subnets.set(subnet.id, subnet);
      return structuredClone(subnet);
    },

    async ensureSecurityGroup(input) {
      checkInput('ensureSecurityGroup', input.name, input.tags);
      let group = findByNameAndTags(groups.values(), input.name, input.tags);
      if (!group) {
        group = { id: state.id('sg'), name: input.name, tags: { ...input.tags }, rules: [] };
        groups.set(group.id, group);
      }
      const have = new Set(group.rules.map(stableJson));
      for (const rule of input.rules)
        if (!have.has(stableJson(rule))) group.rules.push({ ...rule });
      return { id: group.id, name: group.name, tags: { ...group.tags }, api: 'v3' };
    },

    async deleteSecurityGroup(id) {
      if (!groups.has(id)) return;
      if ([...servers.values()].some((s) => s.securityGroupIds.includes(id)))
        throw inUseError('vpc3.deleteSecurityGroup', `security group ${id}`);
      groups.delete(id);
    },

    async deleteSubnet(_vpcId, subnetId) {
      if (!subnets.get(subnetId)?.owned) return;
      if ([...servers.values()].some((s) => s.subnetId === subnetId))
        throw inUseError('vpc.deleteSubnet', `subnet ${subnetId}`);
      subnets.delete(subnetId);
    },

    async deleteVpc(id) {
      if (!vpcs.get(id)?.owned) return;
      if ([...subnets.values()].some((s) => s.vpcId === id))
        throw inUseError('vpc.deleteVpc', `VPC ${id}`);
      vpcs.delete(id);
    },

    async deleteDetachedEip(address, createdBefore) {
      const ours = [...state.eips.values()].filter(
        (e) => e.address === address && !e.serverId && e.createdAt <= createdBefore.getTime(),
      );
      for (const e of ours) state.eips.delete(e.id);
      return ours.length > 0;
    },

    async findNetworkByTag(key, value) {
      return {
        vpcs: tagged(vpcs.values(), key, value).map(({ cidr: _, ...v }) => v),
        subnets: tagged(subnets.values(), key, value).map(({ cidr: _, ...s }) => s),
        securityGroups: tagged(groups.values(), key, value).map((g) => ({
          id: g.id,
          name: g.name,
          tags: g.tags,
          api: 'v3' as const,
        })),
      };
    },
  };
  const api: CloudApi = { ...ecs, ...network };

  const calls: Array<{ method: CloudMethod; args: unknown[] }> = [];
  // Every call: apply what the clock made due, record it, then play any scripted fault.
  async function play<T>(method: CloudMethod, args: unknown[], call: () => Promise<T>): Promise<T> {
    state.settle();
    calls.push({ method, args: structuredClone(args) });
    const fault = faults.take(method);
    if (fault && !fault.afterEffect) throw fault.error();
    const result = await call();
    if (fault) throw fault.error();
    return result;
  }
  return {
    ensureVpc: (i) => play('ensureVpc', [i], () => api.ensureVpc(i)),
    ensureSubnet: (i) => play('ensureSubnet', [i], () => api.ensureSubnet(i)),
    ensureSecurityGroup: (i) => play('ensureSecurityGroup', [i], () => api.ensureSecurityGroup(i)),
    createServer: (i) => play('createServer', [i], () => api.createServer(i)),
    getJob: (j) => play('getJob', [j], () => api.getJob(j)),
    getServer: (s) => play('getServer', [s], () => api.getServer(s)),
    findServersByTag: (k, v) => play('findServersByTag', [k, v], () => api.findServersByTag(k, v)),
    deleteServers: (ids, o) => play('deleteServers', [ids, o], () => api.deleteServers(ids, o)),
    stopServers: (ids, t) => play('stopServers', [ids, t], () => api.stopServers(ids, t)),
    startServers: (ids) => play('startServers', [ids], () => api.startServers(ids)),
    resizeServer: (s, f) => play('resizeServer', [s, f], () => api.resizeServer(s, f)),
    deleteSecurityGroup: (g) => play('deleteSecurityGroup', [g], () => api.deleteSecurityGroup(g)),
    deleteSubnet: (v, s) => play('deleteSubnet', [v, s], () => api.deleteSubnet(v, s)),
    deleteVpc: (v) => play('deleteVpc', [v], () => api.deleteVpc(v)),
    findNetworkByTag: (k, v) => play('findNetworkByTag', [k, v], () => api.findNetworkByTag(k, v)),
    deleteDetachedEip: (a, b) =>
      play('deleteDetachedEip', [a, b], () => api.deleteDetachedEip(a, b)),
    faults,
    calls,
    callsOf: (method) => calls.filter((c) => c.method === method).map((c) => c.args),
    inventory: () => state.inventory(),
  };
}
