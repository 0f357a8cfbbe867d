import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { CloudApi, SecurityGroupResource, ServerQuotaSource } from './cloud-api.js';
import { createCaller } from './huawei-call.js';
import { createHuaweiClients, type HuaweiClients, type SigningKeys } from './huawei-clients.js';
import { createEcsOperations } from './huawei-ecs.js';
import { createEipOperations } from './huawei-eips.js';
import { createNetworkOperations } from './huawei-network.js';
import { createSecurityGroupOperations } from './huawei-security-groups.js';
import type { HuaweiCloudSettings } from './huawei-settings.js';
import { createTagLookup } from './huawei-tag-lookup.js';

export interface HuaweiAdapterDeps {
  settings: HuaweiCloudSettings;
  /** The project's redacting logger: the SDK's own logging is silenced. */
  logger: Logger;
  /** Every wait (retry backoff, readiness polls) sleeps on it; tests pass a manual clock. */
  clock: Clock;
  /** Jitter source in [0, 1). */
  random?: () => number;
  /** Prebuilt SDK clients (tests); built from the settings otherwise. */
  clients?: HuaweiClients;
  /**
   * Keys other than the settings' (a buyer's temporary ones): asked before every call, so keys
   * renewed during a long wait are used from the next poll on.
   */
  keys?: {
    current(): Promise<SigningKeys>;
    /** `refused` were answered "expired": new ones, unless they were already replaced. */
    renew(refused: SigningKeys): Promise<SigningKeys>;
  };
}

/**
 * The `CloudApi` on Huawei Cloud through the official SDK (ECS, VPC v2 and v3), pointed at a
 * region's public endpoints or at `settings.endpoint` (the simulator).
 *
 * @example
 *   const cloud = fromHuaweiSdk({ settings: parseHuaweiCloudSettings({ region, projectId, ak, sk }),
 *     logger, clock: systemClock });
 *   const vpc = await cloud.ensureVpc({ name: 'kgd-kgi-1', cidr: '192.168.0.0/16', tags: kgdTags({ instanceId }) });
 */
export function fromHuaweiSdk(
  deps: HuaweiAdapterDeps,
): CloudApi & ServerQuotaSource & { securityGroupApi(): 'v3' | 'v2' } {
  const { settings } = deps;
  const logger = deps.logger.child({ component: 'cloud', region: settings.region });
  const { clock } = deps;
  const random = deps.random ?? Math.random;
  const clients = deps.clients ?? createHuaweiClients(settings);
  const keys = deps.keys;
  let signedWith: SigningKeys | undefined;
  const use = (k: SigningKeys) => {
    if (k === signedWith) return;
    clients.rekey?.(k);
    signedWith = k;
  };
  const call = createCaller({
    region: settings.region,
    logger,
    retry: settings.retry,
    clock,
    random,
    ...(keys
      ? {
          keys: {
            prepare: async () => {
              const k = await keys.current();
              use(k);
              return k;
            },
            renew: async (refused) => use(await keys.renew(refused as SigningKeys)),
          },
        }
      : {}),
  });
  const ensureDeps = {
    retry: settings.retry,
    clock,
    random,
    ...(settings.pollIntervalMs ? { pollIntervalMs: settings.pollIntervalMs } : {}),
  };

  const findTagged = createTagLookup({ clients, call });
  const ecs = createEcsOperations({ clients, call, settings });
  const network = createNetworkOperations({ ...ensureDeps, clients, call, settings, findTagged });
  const eips = createEipOperations({ ...ensureDeps, clients, call, settings });
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
    deleteDetachedEip: eips.deleteDetachedEip,

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
  };
}
