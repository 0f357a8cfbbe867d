import type { Logger } from '../platform/logger.js';
import type { CloudApi, CloudQuotas, Quota, SecurityGroupResource } from './cloud-api.js';
import { createCaller } from './huawei-call.js';
import { createHuaweiClients, type HuaweiClients } from './huawei-clients.js';
import { createEcsOperations } from './huawei-ecs.js';
import { createNetworkOperations } from './huawei-network.js';
import { createSecurityGroupOperations } from './huawei-security-groups.js';
import type { HuaweiCloudSettings } from './huawei-settings.js';
import { createTagLookup } from './huawei-tag-lookup.js';

export interface HuaweiAdapterDeps {
  settings: HuaweiCloudSettings;
  /** The project's redacting logger: the SDK's own logging is silenced. */
  logger: Logger;
  /** Backoff waits; tests pass one that returns at once (or advances a fake clock). */
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). */
  random?: () => number;
  /** Prebuilt SDK clients (tests); built from the settings otherwise. */
  clients?: HuaweiClients;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The `CloudApi` on Huawei Cloud through the official SDK (ECS, VPC v2 and v3), pointed at a
 * region's public endpoints or at `settings.endpoint` (the simulator).
 *
 * @example
 *   const cloud = fromHuaweiSdk({ settings: parseHuaweiCloudSettings({ region, projectId, ak, sk }), logger });
 *   const vpc = await cloud.ensureVpc({ name: 'kgd-kgi-1', cidr: '192.168.0.0/16', tags: kgdTags({ instanceId }) });
 */
export function fromHuaweiSdk(
  deps: HuaweiAdapterDeps,
): CloudApi & { securityGroupApi(): 'v3' | 'v2' } {
  const { settings } = deps;
  const logger = deps.logger.child({ component: 'cloud', region: settings.region });
  const sleep = deps.sleep ?? realSleep;
  const random = deps.random ?? Math.random;
  const clients = deps.clients ?? createHuaweiClients(settings);
  const call = createCaller({
    region: settings.region,
    logger,
    retry: settings.retry,
    sleep,
    random,
  });
  const ensureDeps = {
    retry: settings.retry,
    sleep,
    random,
    ...(settings.pollIntervalMs ? { pollIntervalMs: settings.pollIntervalMs } : {}),
  };

  const findTagged = createTagLookup({ clients, call });
  const ecs = createEcsOperations({ clients, call, settings });
  const network = createNetworkOperations({ ...ensureDeps, clients, call, settings, findTagged });
  const groups = createSecurityGroupOperations({
    ...ensureDeps,
    clients,
    call,
    settings,
    findTagged,
  });

  return {
    ...ecs,
    ensureVpc: network.ensureVpc,
    ensureSubnet: network.ensureSubnet,
    deleteVpc: network.deleteVpc,
    deleteSubnet: network.deleteSubnet,
    ensureSecurityGroup: groups.ensureSecurityGroup,
    deleteSecurityGroup: groups.deleteSecurityGroup,
    securityGroupApi: groups.apiVersion,

    async findNetworkByTag(key, value) {
      const tag = { [key]: value };
      const [vpcs, subnets, sgs] = await Promise.all([
        findTagged('vpcs', tag),
        findTagged('subnets', tag),
        findTagged('security-groups', tag),
      ]);
      const subnetVpcs = await Promise.all(subnets.map((s) => network.showSubnet(s.id)));
      const api = groups.apiVersion();
      return {
        vpcs: vpcs.map((v) => ({
          ...v,
          status: 'OK',
          owned: settings.sharedNetwork?.vpcId !== v.id,
        })),
        subnets: subnets.flatMap((s, i) => {
          const detail = subnetVpcs[i];
          if (!detail) return [];
          return [
            {
              ...s,
              status: detail.status ?? 'ACTIVE',
              vpcId: detail.vpc_id ?? '',
              owned: settings.sharedNetwork?.subnetId !== s.id,
            },
          ];
        }),
        securityGroups: sgs.map((g): SecurityGroupResource => ({ ...g, api })),
      };
    },

    async getQuotas(): Promise<CloudQuotas> {
      const [limits, vpcQuotas] = await Promise.all([ecs.limits(), network.quotas()]);
      const a = limits.absolute ?? {};
      const vpcQuota = (type: string): Quota => {
        const r = vpcQuotas.quotas?.resources?.find((x) => x.type === type);
        return { used: r?.used ?? 0, max: r?.quota ?? -1 };
      };
      return {
        instances: { used: a.totalInstancesUsed ?? 0, max: a.maxTotalInstances ?? -1 },
        cores: { used: a.totalCoresUsed ?? 0, max: a.maxTotalCores ?? -1 },
        ramMb: { used: a.totalRAMUsed ?? 0, max: a.maxTotalRAMSize ?? -1 },
        vpcs: vpcQuota('vpc'),
        subnets: vpcQuota('subnet'),
        securityGroups: vpcQuota('securityGroup'),
        securityGroupRules: vpcQuota('securityGroupRule'),
        publicIps: vpcQuota('publicIp'),
      };
    },
  };
}
