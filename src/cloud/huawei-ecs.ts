import { ecsPasswordProblem } from '../platform/passwords.js';
import { uuidPattern } from './client-token.js';
import type {
  CloudApi,
  CloudJob,
  CreateServerInput,
  JobFailure,
  JobStatus,
  ServerInfo,
  ServerQuota,
  ServerQuotaSource,
} from './cloud-api.js';
import { CloudNotFound, CloudPermanent, CloudRetryable } from './errors.js';
import type { Call } from './huawei-call.js';
import type { HuaweiClients } from './huawei-clients.js';
import type { HuaweiCloudSettings } from './huawei-settings.js';
import { regionTable } from './regions.js';
import { fromTagList, toTagList, validateTags } from './tags.js';
import type { WireCreateServers, WireJob, WireServer } from './wire-types.js';

/**
 * Request models are classes with private snake_case members; plain objects with the wire names
 * are accepted at run time (huawei-cloud.md §0.7). This names that cast once.
 */
export const wire = <T>(plain: object): T => plain as T;
/** Responses are plain JSON with wire names (§0.2): read them through the project's wire types. */
export const read = <W>(resp: unknown): W => (resp ?? {}) as W;

export function badInput(operation: string, field: string, expected: string): CloudPermanent {
  return new CloudPermanent(`${operation}: ${field} ${expected}`, {
    code: 'kgd.bad-input',
    operation,
  });
}

function badAnswer(operation: string, what: string): CloudRetryable {
  return new CloudRetryable(`${operation}: the cloud's answer lacks ${what}`, {
    code: 'kgd.bad-answer',
    operation,
  });
}

function validateCreate(input: CreateServerInput): void {
  const op = 'createServer';
  if (!uuidPattern.test(input.clientToken ?? '')) {
    throw badInput(op, 'clientToken', 'must be a UUID (see clientToken())');
  }
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(input.name ?? '')) {
    throw badInput(op, 'name', 'must be 1-64 letters, digits, _ . -');
  }
  for (const f of ['imageId', 'flavor', 'vpcId', 'subnetId'] as const) {
    if (typeof input[f] !== 'string' || input[f].length === 0) {
      throw badInput(op, f, 'must be a non-empty string');
    }
  }
  if (!input.adminPass && !input.keyName) {
    throw badInput(op, 'adminPass', 'or keyName is required (how root logs in)');
  }
  if (input.adminPass !== undefined) {
    const problem = ecsPasswordProblem(input.adminPass);
    // The problem names the rule, never the password.
    if (problem) throw badInput(op, 'adminPass', problem);
  }
  if (input.description !== undefined && !/^[^<>]{0,85}$/.test(input.description)) {
    throw badInput(op, 'description', 'must be up to 85 characters without < or >');
  }
  if (input.eip?.type !== undefined && !/^\d+_[a-z0-9]+$/.test(input.eip.type)) {
    throw badInput(op, 'eip.type', 'must be an EIP type such as 5_bgp');
  }
  if (!Number.isInteger(input.rootVolume?.sizeGb) || input.rootVolume.sizeGb < 1) {
    throw badInput(op, 'rootVolume.sizeGb', 'must be a positive whole number of GB');
  }
  if (input.eip && !(Number.isInteger(input.eip.bandwidthMb) && input.eip.bandwidthMb >= 1)) {
    throw badInput(op, 'eip.bandwidthMb', 'must be a positive whole number of Mbit/s');
  }
  try {
    validateTags(input.tags ?? {});
  } catch (e) {
    throw badInput(op, 'tags', (e as Error).message);
  }
}

function toCloudJob(w: WireJob, fallbackId: string): CloudJob {
  const subs = w.entities?.sub_jobs ?? [];
  const serverIds = subs
    .map((s) => s.entities?.server_id)
    .concat(w.entities?.server_id)
    .filter((id): id is string => typeof id === 'string' && id.length > 0);
  // A sub-job's reason can sit in its error_code/fail_reason or in entities.errorcode_message
  // (huawei-cloud.md §5.1): every sub-job that failed or names a reason is read.
  const failures: JobFailure[] = subs
    .filter(
      (s) => s.status === 'FAIL' || s.error_code || s.fail_reason || s.entities?.errorcode_message,
    )
    .map((s) => {
      const reason = [s.fail_reason, s.entities?.errorcode_message].filter(Boolean).join('; ');
      return {
        ...(s.entities?.server_id ? { serverId: s.entities.server_id } : {}),
        ...(s.error_code ? { code: s.error_code } : {}),
        ...(reason ? { reason } : {}),
      };
    });
  const failed = subs.find((s) => s.status === 'FAIL' && (s.error_code || s.fail_reason));
  return {
    id: w.job_id ?? fallbackId,
    type: w.job_type ?? 'unknown',
    status: (w.status ?? 'INIT') as JobStatus,
    serverIds: [...new Set(serverIds)],
    errorCode: w.error_code || failed?.error_code || undefined,
    failReason: w.fail_reason || failed?.fail_reason || undefined,
    ...(failures.length > 0 ? { failures } : {}),
    beginTime: w.begin_time || undefined,
    endTime: w.end_time || undefined,
  };
}

/**
 * A deleted server still answers GET and listings for a while as DELETED or SOFT_DELETED
 * (huawei-cloud.md §5.4, §5.6): for the port it no longer exists.
 */
const isDeleted = (s: WireServer) => s.status === 'DELETED' || s.status === 'SOFT_DELETED';

function toServerInfo(s: WireServer): ServerInfo {
  const fixedIps: string[] = [];
  const floatingIps: string[] = [];
  for (const list of Object.values(s.addresses ?? {})) {
    for (const a of list ?? []) {
      if (!a.addr) continue;
      (a['OS-EXT-IPS:type'] === 'floating' ? floatingIps : fixedIps).push(a.addr);
    }
  }
  return {
    id: s.id ?? '',
    name: s.name ?? '',
    status: s.status ?? 'UNKNOWN',
    fixedIps,
    floatingIps,
    tags: fromTagList(s.tags),
    flavor: s.flavor?.id ?? s.flavor?.name ?? '',
    az: s['OS-EXT-AZ:availability_zone'] ?? '',
    imageId: s.image?.id ?? '',
    securityGroupIds: (s.security_groups ?? []).map((g) => g.id ?? g.name ?? '').filter(Boolean),
    metadata: s.metadata ?? {},
    ...(s.fault ? { fault: { code: s.fault.code, message: s.fault.message } } : {}),
  };
}

type EcsPart = Pick<
  CloudApi,
  | 'createServer'
  | 'getJob'
  | 'getServer'
  | 'findServersByTag'
  | 'deleteServers'
  | 'stopServers'
  | 'startServers'
  | 'resizeServer'
> &
  ServerQuotaSource;

/** The ECS half of the adapter. */
export function createEcsOperations(deps: {
  clients: HuaweiClients;
  call: Call;
  settings: HuaweiCloudSettings;
}): EcsPart {
  const { clients, call, settings } = deps;
  const ecs = clients.ecs;

  const jobOf = (operation: string, resp: unknown) => {
    const jobId = read<{ job_id?: string }>(resp).job_id;
    if (!jobId) throw badAnswer(operation, 'job_id');
    return { jobId };
  };
  const serverRefs = (ids: string[], operation: string) => {
    if (!Array.isArray(ids) || ids.length === 0 || ids.some((id) => !id)) {
      throw badInput(operation, 'ids', 'must list at least one server id');
    }
    return ids.map((id) => ({ id }));
  };

  /** The region table's EIP type (regions.ts) when the template gives none. */
  const regionEipType = () => {
    const type = regionTable[settings.region]?.eipTypes?.[0];
    if (!type)
      throw new CloudPermanent(
        `no EIP type known for region ${settings.region}: give regions.${settings.region}.eipType in the product template (docs/cloud.md)`,
        { code: 'kgd.region-data', operation: 'ecs.createPostPaidServers' },
      );
    return type;
  };

  const ops: EcsPart = {
    async createServer(input) {
      validateCreate(input);
      const server: Record<string, unknown> = {
        name: input.name,
        imageRef: input.imageId,
        flavorRef: input.flavor,
        vpcid: input.vpcId,
        nics: [{ subnet_id: input.subnetId }],
        security_groups: input.securityGroupIds.map((id) => ({ id })),
        root_volume: { volumetype: input.rootVolume.type, size: input.rootVolume.sizeGb },
        server_tags: toTagList(input.tags),
        count: 1,
      };
      if (input.az) server.availability_zone = input.az;
      if (input.adminPass) server.adminPass = input.adminPass;
      if (input.keyName) server.key_name = input.keyName;
      if (input.userData) server.user_data = Buffer.from(input.userData).toString('base64');
      if (input.metadata) server.metadata = input.metadata;
      if (input.description) server.description = input.description;
      if (input.eip) {
        server.publicip = {
          eip: {
            iptype: input.eip.type ?? regionEipType(),
            bandwidth: { size: input.eip.bandwidthMb, sharetype: 'PER', chargemode: 'traffic' },
          },
          delete_on_termination: true,
        };
      }
      if (settings.enterpriseProjectId) {
        server.extendparam = { enterprise_project_id: settings.enterpriseProjectId };
      }
      // Retrying is safe: the same X-Client-Token makes ECS answer with the original job.
      const resp = await call(
        'ecs.createPostPaidServers',
        () =>
          ecs.createPostPaidServers(
            wire({ 'X-Client-Token': input.clientToken, body: { server } }),
          ),
        { context: { name: input.name, flavor: input.flavor, az: input.az } },
      );
      const w = read<WireCreateServers>(resp);
      if (!w.job_id) throw badAnswer('ecs.createPostPaidServers', 'job_id');
      return { jobId: w.job_id, serverIds: w.serverIds ?? [] };
    },

    async getJob(jobId) {
      if (!jobId) throw badInput('getJob', 'jobId', 'must be a non-empty string');
      const resp = await call('ecs.showJob', () => ecs.showJob(wire({ job_id: jobId })));
      return toCloudJob(read<WireJob>(resp), jobId);
    },

    async getServer(id) {
      if (!id) throw badInput('getServer', 'id', 'must be a non-empty string');
      try {
        const resp = await call('ecs.showServer', () => ecs.showServer(wire({ server_id: id })));
        const s = read<{ server?: WireServer }>(resp).server;
        return s && !isDeleted(s) ? toServerInfo(s) : undefined;
      } catch (e) {
        if (e instanceof CloudNotFound) return undefined;
        throw e;
      }
    },

    async findServersByTag(key, value) {
      const limit = 100;
      const found: ServerInfo[] = [];
      // ECS `offset` is a page number starting at 1, not a row offset.
      for (let page = 1; page <= 1000; page++) {
        const resp = await call('ecs.listServersDetails', () =>
          ecs.listServersDetails(wire({ tags: `${key}=${value}`, limit, offset: page })),
        );
        const w = read<{ count?: number; servers?: WireServer[] }>(resp);
        const servers = w.servers ?? [];
        found.push(...servers.filter((s) => !isDeleted(s)).map(toServerInfo));
        if (servers.length < limit || page * limit >= (w.count ?? 0)) break;
      }
      // The tag filter matches values containing the text; keep exact matches only.
      return found.filter((s) => s.tags[key] === value);
    },

    async deleteServers(ids, options) {
      let remaining = [...new Set(ids)];
      serverRefs(remaining, 'deleteServers');
      for (let round = 0; round < 2; round++) {
        try {
          const resp = await call(
            'ecs.deleteServers',
            () =>
              ecs.deleteServers(
                wire({
                  body: {
                    servers: serverRefs(remaining, 'deleteServers'),
                    delete_publicip: options.deletePublicIp,
                    delete_volume: options.deleteVolume,
                  },
                }),
              ),
            // Ecs.0501 / Ecs.0603 ask for minutes: the teardown waits on its clock, not here.
            { retry: false },
          );
          return jobOf('ecs.deleteServers', resp);
        } catch (e) {
          if (!(e instanceof CloudNotFound)) throw e;
          // Some are gone already: delete the ones left, or report nothing to do.
          const present = await Promise.all(remaining.map((id) => ops.getServer(id)));
          remaining = remaining.filter((_, i) => present[i] !== undefined);
          if (remaining.length === 0) return {};
        }
      }
      throw new CloudRetryable('deleteServers: servers keep disappearing while being deleted', {
        code: 'kgd.delete-race',
        operation: 'ecs.deleteServers',
      });
    },

    async stopServers(ids, type = 'SOFT') {
      const body = { 'os-stop': { servers: serverRefs(ids, 'stopServers'), type } };
      const resp = await call('ecs.batchStopServers', () => ecs.batchStopServers(wire({ body })));
      return jobOf('ecs.batchStopServers', resp);
    },

    async startServers(ids) {
      const body = { 'os-start': { servers: serverRefs(ids, 'startServers') } };
      const resp = await call('ecs.batchStartServers', () => ecs.batchStartServers(wire({ body })));
      return jobOf('ecs.batchStartServers', resp);
    },

    async resizeServer(id, flavor) {
      if (!id) throw badInput('resizeServer', 'id', 'must be a non-empty string');
      if (!flavor) throw badInput('resizeServer', 'flavor', 'must be a non-empty string');
      // ECS resizes only a stopped server (huawei-cloud.md §5.6): a running one is refused with
      // 400 Ecs.0100. The caller stops it first, so the downtime is its own to log; no
      // `withStopServer`, which would hide a stop (and a start) inside the resize job.
      const resize = { flavorRef: flavor };
      const resp = await call('ecs.resizePostPaidServer', () =>
        ecs.resizePostPaidServer(wire({ server_id: id, body: { resize } })),
      );
      return jobOf('ecs.resizePostPaidServer', resp);
    },

    async serverQuota() {
      // ShowServerLimits (GET /v1/{project_id}/cloudservers/limits): the project's ECS quotas.
      const resp = await call('ecs.showServerLimits', () => ecs.showServerLimits(wire({})));
      const a = read<{ absolute?: Record<string, unknown> }>(resp).absolute;
      if (!a) throw badAnswer('ecs.showServerLimits', 'absolute');
      const pair = (used: string, max: string): ServerQuota['instances'] => {
        const u = a[used];
        const m = a[max];
        // -1 is "unlimited"; a missing pair is left out rather than guessed.
        return typeof u === 'number' && typeof m === 'number' && m >= 0
          ? { used: u, max: m }
          : undefined;
      };
      return {
        instances: pair('totalInstancesUsed', 'maxTotalInstances'),
        cores: pair('totalCoresUsed', 'maxTotalCores'),
        ramMb: pair('totalRAMUsed', 'maxTotalRAMSize'),
      };
    },
  };
  return ops;
}
