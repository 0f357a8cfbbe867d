import { subnetProblem, vpcCidrProblem } from './cidr-rules.js';
import type { CloudApi, NetworkResource, ResourceTags } from './cloud-api.js';
import { CloudNotFound, CloudPermanent } from './errors.js';
import type { Call } from './huawei-call.js';
import type { HuaweiClients } from './huawei-clients.js';
import { deleteUntilGone } from './huawei-delete.js';
import { badInput, read, wire } from './huawei-ecs.js';
import { type EnsureDeps, findOrCreate, waitForStatus } from './huawei-ensure.js';
import type { HuaweiCloudSettings } from './huawei-settings.js';
import type { FindTagged } from './huawei-tag-lookup.js';
import { regionTable } from './regions.js';
import { toStarTags, validateTags } from './tags.js';
import type { WireSubnet, WireVpc } from './wire-types.js';

const ipPattern = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

function checkName(op: string, name: string): void {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name ?? '')) {
    throw badInput(op, 'name', 'must be 1-64 letters, digits, _ . -');
  }
}

function checkTags(op: string, tags: ResourceTags): void {
  try {
    validateTags(tags ?? {});
  } catch (e) {
    throw badInput(op, 'tags', (e as Error).message);
  }
}

/** Deletes are tried once per round: the teardown retries what is in use, on the clock. */
const noRetry = { retry: false } as const;

const nameTaken = (name: string, cause: CloudPermanent) =>
  new CloudPermanent(
    `a VPC named ${name} already exists in this account and region without this deployment's tags (VPC.0115: names are unique); rename or delete that VPC`,
    { code: 'VPC.0115', operation: 'vpc.createVpc', httpStatus: 400, cause },
  );

type NetworkPart = Pick<CloudApi, 'ensureVpc' | 'ensureSubnet' | 'deleteVpc' | 'deleteSubnet'>;

/** VPCs and subnets (VPC v2 API) and the shared network. */
export function createNetworkOperations(
  deps: EnsureDeps & {
    clients: HuaweiClients;
    call: Call;
    settings: HuaweiCloudSettings;
    findTagged: FindTagged;
  },
): NetworkPart & {
  showSubnet(id: string): Promise<WireSubnet | undefined>;
} {
  const { clients, call, settings, findTagged } = deps;
  const vpc2 = clients.vpc2;
  const shared = settings.sharedNetwork;
  const budgetMs = settings.readyTimeoutMs;
  const deleteDeps = { ...deps, budgetMs: settings.deleteTimeoutMs };

  /** The template's DNS servers, else the region's private ones: never a subnet without DNS. */
  const dnsFor = (given: { primary: string; secondary?: string } | undefined) => {
    if (given) {
      for (const ip of [given.primary, given.secondary].filter((x) => x !== undefined))
        if (!ipPattern.test(ip))
          throw badInput('ensureSubnet', 'dns', `${ip} is not an IPv4 address`);
      return given;
    }
    const known = regionTable[settings.region]?.dns;
    if (!known?.length)
      throw new CloudPermanent(
        `no private DNS servers known for region ${settings.region}: give regions.${settings.region}.dns in the product template (docs/cloud.md)`,
        { code: 'kgd.region-data', operation: 'vpc.createSubnet' },
      );
    return { primary: known[0]!, ...(known[1] ? { secondary: known[1] } : {}) };
  };

  const showVpc = async (id: string): Promise<WireVpc | undefined> => {
    try {
      const resp = await call('vpc.showVpc', () => vpc2.showVpc(wire({ vpc_id: id })));
      return read<{ vpc?: WireVpc }>(resp).vpc;
    } catch (e) {
      if (e instanceof CloudNotFound) return undefined;
      throw e;
    }
  };
  const showSubnet = async (id: string): Promise<WireSubnet | undefined> => {
    try {
      const resp = await call('vpc.showSubnet', () => vpc2.showSubnet(wire({ subnet_id: id })));
      return read<{ subnet?: WireSubnet }>(resp).subnet;
    } catch (e) {
      if (e instanceof CloudNotFound) return undefined;
      throw e;
    }
  };
  const sharedMissing = (what: string, id: string) =>
    new CloudPermanent(
      `the shared ${what} ${id} does not exist in ${settings.region}; check cloud.sharedNetwork`,
      { code: 'kgd.shared-network-missing', operation: `vpc.show-${what}` },
    );

  return {
    showSubnet,

    async ensureVpc(input) {
      if (shared) {
        const v = await showVpc(shared.vpcId);
        if (!v) throw sharedMissing('VPC', shared.vpcId);
        return {
          id: shared.vpcId,
          name: v.name ?? '',
          status: v.status ?? 'OK',
          owned: false,
          tags: {},
        };
      }
      checkName('ensureVpc', input.name);
      const cidrProblem = vpcCidrProblem(input.cidr);
      if (cidrProblem) throw badInput('ensureVpc', 'cidr', cidrProblem);
      checkTags('ensureVpc', input.tags);
      // Found by tags alone: names are unique per account (VPC.0115), so never an identity.
      const id = await findOrCreate(
        deps,
        async () => (await findTagged('vpcs', input.tags))[0]?.id,
        async () => {
          const vpc: Record<string, unknown> = {
            name: input.name,
            cidr: input.cidr,
            tags: toStarTags(input.tags),
          };
          if (settings.enterpriseProjectId)
            vpc.enterprise_project_id = settings.enterpriseProjectId;
          const resp = await call('vpc.createVpc', () => vpc2.createVpc(wire({ body: { vpc } })), {
            retry: false,
          }).catch((e: unknown) => {
            if (e instanceof CloudPermanent && e.code === 'VPC.0115')
              throw nameTaken(input.name, e);
            throw e;
          });
          const created = read<{ vpc?: WireVpc }>(resp).vpc?.id;
          if (!created) throw badInput('vpc.createVpc', 'answer', 'lacks vpc.id');
          return created;
        },
      );
      let last: WireVpc | undefined;
      await waitForStatus(
        deps,
        { operation: 'vpc.showVpc', description: `VPC ${id}`, budgetMs },
        async () => {
          last = await showVpc(id);
          return last?.status;
        },
        'OK',
      );
      return { id, name: last?.name ?? input.name, status: 'OK', owned: true, tags: input.tags };
    },

    async ensureSubnet(input) {
      if (shared) {
        const s = await showSubnet(shared.subnetId);
        if (!s) throw sharedMissing('subnet', shared.subnetId);
        return {
          id: shared.subnetId,
          name: s.name ?? '',
          status: s.status ?? 'ACTIVE',
          owned: false,
          tags: {},
          vpcId: s.vpc_id ?? shared.vpcId,
        };
      }
      checkName('ensureSubnet', input.name);
      const problem = subnetProblem(input.cidr, input.gatewayIp);
      if (problem) throw badInput('ensureSubnet', problem.field, problem.problem);
      if (!input.vpcId) throw badInput('ensureSubnet', 'vpcId', 'must be a non-empty string');
      checkTags('ensureSubnet', input.tags);
      const dns = dnsFor(input.dns);
      const id = await findOrCreate(
        deps,
        async () => {
          for (const hit of await findTagged('subnets', input.tags)) {
            if ((await showSubnet(hit.id))?.vpc_id === input.vpcId) return hit.id;
          }
          return undefined;
        },
        async () => {
          const subnet: Record<string, unknown> = {
            name: input.name,
            cidr: input.cidr,
            gateway_ip: input.gatewayIp,
            vpc_id: input.vpcId,
            dhcp_enable: true,
            primary_dns: dns.primary,
            ...(dns.secondary ? { secondary_dns: dns.secondary } : {}),
            tags: toStarTags(input.tags),
          };
          if (input.az) subnet.availability_zone = input.az;
          const resp = await call(
            'vpc.createSubnet',
            () => vpc2.createSubnet(wire({ body: { subnet } })),
            { retry: false },
          );
          const created = read<{ subnet?: WireSubnet }>(resp).subnet?.id;
          if (!created) throw badInput('vpc.createSubnet', 'answer', 'lacks subnet.id');
          return created;
        },
      );
      await waitForStatus(
        deps,
        { operation: 'vpc.showSubnet', description: `subnet ${id}`, budgetMs },
        async () => (await showSubnet(id))?.status,
        'ACTIVE',
      );
      return {
        id,
        name: input.name,
        status: 'ACTIVE',
        owned: true,
        tags: input.tags,
        vpcId: input.vpcId,
      } satisfies NetworkResource & { vpcId: string };
    },

    async deleteVpc(id) {
      if (!id) throw badInput('deleteVpc', 'id', 'must be a non-empty string');
      if (shared?.vpcId === id) return;
      await deleteUntilGone(deleteDeps, {
        description: `VPC ${id}`,
        operation: 'vpc.deleteVpc',
        show: () => showVpc(id),
        remove: () => call('vpc.deleteVpc', () => vpc2.deleteVpc(wire({ vpc_id: id })), noRetry),
      });
    },

    async deleteSubnet(vpcId, subnetId) {
      if (!vpcId) throw badInput('deleteSubnet', 'vpcId', 'must be a non-empty string');
      if (!subnetId) throw badInput('deleteSubnet', 'subnetId', 'must be a non-empty string');
      if (shared?.subnetId === subnetId) return;
      await deleteUntilGone(deleteDeps, {
        description: `subnet ${subnetId}`,
        operation: 'vpc.deleteSubnet',
        show: () => showSubnet(subnetId),
        remove: () =>
          call(
            'vpc.deleteSubnet',
            () => vpc2.deleteSubnet(wire({ vpc_id: vpcId, subnet_id: subnetId })),
            noRetry,
          ),
        badRequestMeansDeleting: true,
        forbiddenWhileDeleting: true,
      });
    },
  };
}
