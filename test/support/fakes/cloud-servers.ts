import { uuidPattern } from '../../../src/cloud/client-token.js';
import type { CloudApi, ServerInfo } from '../../../src/cloud/cloud-api.js';
import { CloudConflict } from '../../../src/cloud/errors.js';
import { capacityError, type FaultTable, unknownFlavorError } from './cloud-faults.js';
import {
  badInput,
  checkInput,
  type FakeCloudDurations,
  type FakeServer,
  type FakeState,
  notFound,
  refused,
  stableJson,
} from './cloud-state.js';

type ServerPart = Pick<
  CloudApi,
  | 'createServer'
  | 'getJob'
  | 'getServer'
  | 'findServersByTag'
  | 'deleteServers'
  | 'stopServers'
  | 'startServers'
  | 'resizeServer'
>;

export interface Catalog {
  azs: string[];
  flavors: Set<string>;
  images: Set<string>;
}

function info(s: FakeServer): ServerInfo {
  return {
    id: s.id,
    name: s.name,
    status: s.status,
    fixedIps: [...s.fixedIps],
    floatingIps: [...s.floatingIps],
    tags: { ...s.tags },
    flavor: s.flavor,
    az: s.az,
    imageId: s.imageId,
    securityGroupIds: [...s.securityGroupIds],
    metadata: { ...s.metadata },
  };
}

/** Servers, their EIPs and jobs, as ECS runs them (durations on the clock). */
export function createServerOperations(
  state: FakeState,
  catalog: Catalog,
  durations: FakeCloudDurations,
  faults: FaultTable,
): ServerPart {
  const { servers, eips } = state;
  const tokens = new Map<string, { body: string; jobId: string; serverIds: string[] }>();
  const hostsUsed = new Map<string, number>();
  let eipCount = 0;

  const serverOf = (operation: string, id: string) => {
    const s = servers.get(id);
    if (!s) throw notFound(operation, `server ${id}`);
    return s;
  };
  const release = (s: FakeServer, deletePublicIp: boolean) => {
    servers.delete(s.id);
    const eip = s.eipId ? eips.get(s.eipId) : undefined;
    if (eip && deletePublicIp) eips.delete(eip.id);
    else if (eip) eip.serverId = undefined;
  };
  const power = (action: 'stop' | 'start', ids: string[]) => {
    const targets = ids.map((id) => serverOf(`${action}Servers`, id));
    const [from, to, ms] =
      action === 'stop'
        ? ['ACTIVE', 'SHUTOFF', durations.stopMs]
        : ['SHUTOFF', 'ACTIVE', durations.startMs];
    const job = state.startJob(action === 'stop' ? 'batchStopServer' : 'batchStartServer', ids);
    const blocked = targets.find((s) => (s.status !== from && s.status !== to) || s.deleting);
    state.at(ms, () => {
      if (blocked) {
        const reason = `server ${blocked.id} is ${blocked.status}: cannot ${action} it now`;
        return state.endJob(job, { code: 'Ecs.0108', reason });
      }
      for (const s of targets) if (servers.has(s.id)) s.status = to;
      state.endJob(job);
    });
    return { jobId: job.id };
  };

  return {
    async createServer(input) {
      const op = 'createServer';
      const { clientToken, ...rest } = input;
      if (!uuidPattern.test(clientToken)) throw badInput(op, 'clientToken must be a UUID');
      checkInput(op, input.name, input.tags);
      if (!input.adminPass && !input.keyName)
        throw badInput(op, 'adminPass or keyName is required');
      const body = stableJson(rest);
      const replay = tokens.get(clientToken);
      if (replay && replay.body !== body)
        throw refused(op, 'the client token was used with another body', 'Ecs.0122');
      if (replay) return { jobId: replay.jobId, serverIds: [...replay.serverIds] };
      if (!catalog.flavors.has(input.flavor)) throw unknownFlavorError(`ecs.${op}`, input.flavor);
      if (!catalog.images.has(input.imageId))
        throw refused(op, `image [${input.imageId}] not found`);
      const az = input.az ?? catalog.azs[0]!;
      if (!catalog.azs.includes(az)) throw refused(op, `availability zone [${az}] not found`);
      const subnet = state.subnets.get(input.subnetId);
      if (!subnet || subnet.vpcId !== input.vpcId)
        throw refused(op, `subnet ${input.subnetId} is not in VPC ${input.vpcId}`);
      for (const g of input.securityGroupIds)
        if (!state.groups.has(g)) throw refused(op, `security group ${g} not found`);
      const soldOut = faults.soldOutIn(az, input.flavor);
      if (soldOut === 'create') throw capacityError(`ecs.${op}`, az, input.flavor, 'Ecs.0018');

      const host = (hostsUsed.get(subnet.id) ?? 1) + 1;
      hostsUsed.set(subnet.id, host);
      const server: FakeServer = {
        id: state.id('server'),
        name: input.name,
        status: 'BUILD',
        fixedIps: [subnet.cidr.replace(/\.\d+\/\d+$/, `.${host}`)],
        floatingIps: [],
        tags: { ...input.tags },
        flavor: input.flavor,
        az,
        imageId: input.imageId,
        securityGroupIds: [...input.securityGroupIds],
        metadata: { ...input.metadata },
        vpcId: input.vpcId,
        subnetId: subnet.id,
        ...(input.adminPass ? { adminPass: input.adminPass } : {}),
        ...(input.userData ? { userData: input.userData } : {}),
        deleting: false,
      };
      if (input.eip) {
        const n = ++eipCount;
        const address = `100.64.${n >> 8}.${n & 255}`;
        const eip = {
          id: state.id('eip'),
          address,
          serverId: server.id,
          createdAt: state.clock.now().getTime(),
        };
        eips.set(eip.id, eip);
        server.eipId = eip.id;
        server.floatingIps.push(address);
      }
      servers.set(server.id, server);
      const job = state.startJob('createServer', [server.id]);
      tokens.set(clientToken, { body, jobId: job.id, serverIds: [server.id] });
      if (soldOut === 'job') {
        state.at(durations.failMs, () => {
          release(server, true);
          const reason = `Flavor ${input.flavor} is sold out in availability zone ${az}`;
          state.endJob(job, { code: 'Ecs.0319', reason });
        });
      } else {
        state.at(durations.createMs, () => {
          if (!servers.has(server.id))
            return state.endJob(job, { code: 'Ecs.0114', reason: 'deleted while being created' });
          server.status = 'ACTIVE';
          state.endJob(job);
        });
      }
      return { jobId: job.id, serverIds: [server.id] };
    },

    async getJob(jobId) {
      const job = state.jobs.get(jobId);
      if (!job) throw notFound('ecs.showJob', `job ${jobId}`, 'Ecs.0105');
      return structuredClone(job);
    },

    async getServer(id) {
      const s = servers.get(id);
      return s ? info(s) : undefined;
    },

    async findServersByTag(key, value) {
      return [...servers.values()].filter((s) => s.tags[key] === value).map(info);
    },

    async deleteServers(ids, options) {
      const present = [...new Set(ids)].filter((id) => servers.has(id));
      if (present.length === 0) return {};
      const job = state.startJob('deleteServer', present);
      for (const id of present) servers.get(id)!.deleting = true;
      state.at(durations.deleteMs, () => {
        for (const id of present) {
          const s = servers.get(id);
          if (s) release(s, options.deletePublicIp && !faults.leavesEip());
        }
        state.endJob(job);
      });
      return { jobId: job.id };
    },

    stopServers: async (ids) => power('stop', ids),
    startServers: async (ids) => power('start', ids),

    async resizeServer(id, flavor) {
      const op = 'resizeServer';
      const s = serverOf(op, id);
      if (!catalog.flavors.has(flavor)) throw unknownFlavorError('ecs.resize', flavor);
      if (flavor === s.flavor) throw refused(op, 'another flavor must be used', 'Ecs.0009');
      // ECS resizes a stopped server only (huawei-cloud.md §5.6); the adapter never asks it to
      // stop one itself (no withStopServer): the caller stops it first.
      if (s.status === 'ACTIVE' && !s.deleting)
        throw refused(
          op,
          `server ${s.id} is ACTIVE: the ECS status does not meet requirements; stop it before resizing`,
          'Ecs.0100',
        );
      if (!['ACTIVE', 'SHUTOFF'].includes(s.status) || s.deleting) {
        throw new CloudConflict(`${op}: server ${s.id} is ${s.status}; retried later`, {
          code: 'Ecs.0108',
          operation: 'ecs.resize',
          httpStatus: 409,
        });
      }
      const soldOut = faults.soldOutIn(s.az, flavor);
      if (soldOut === 'create') throw capacityError('ecs.resize', s.az, flavor, 'Ecs.0018');
      const previous = s.status;
      s.status = 'RESIZE';
      const job = state.startJob('resizeServer', [s.id]);
      state.at(soldOut ? durations.failMs : durations.resizeMs, () => {
        s.status = previous;
        if (soldOut) {
          const reason = `Flavor ${flavor} is sold out in availability zone ${s.az}`;
          return state.endJob(job, { code: 'Ecs.0319', reason });
        }
        s.flavor = flavor;
        state.endJob(job);
      });
      return { jobId: job.id };
    },
  };
}
