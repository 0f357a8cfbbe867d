import type { CloudApi } from '../../cloud/cloud-api.js';
import { fromHuaweiSdk } from '../../cloud/huawei-adapter.js';
import {
  type HuaweiCloudSettings,
  type HuaweiCloudSettingsInput,
  parseHuaweiCloudSettings,
} from '../../cloud/huawei-settings.js';
import { type Clock, systemClock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import type { SimulatedHosts } from '../hosts/simulated-hosts.js';
import { type SimulatorHandle, type SimulatorOptions, startSimulator } from '../server.js';
import { defaultImageId } from './catalog.js';

export interface CloudConfig {
  ak: string | undefined;
  sk: string | undefined;
  projectId: string | undefined;
  region: string;
  endpoint: string | undefined;
  enterpriseProjectId?: string;
  imageIds?: Record<string, string>;
  sharedNetwork?: { vpcId: string; subnetId: string };
  timeoutMs?: number;
  /** Fixed readiness-poll interval; adaptive when absent. */
  pollIntervalMs?: number;
}

export interface OpenedCloud {
  cloud: CloudApi;
  settings: HuaweiCloudSettings;
  /** The embedded simulator, when no credentials were configured. */
  simulator: SimulatorHandle | undefined;
  close(): Promise<void>;
}

/**
 * For the composition root: the real Huawei adapter when AK/SK are configured, otherwise an
 * embedded cloud simulator (said loudly, since nothing real is then created) with the adapter
 * pointed at it, so the rest of the service runs the same code either way.
 *
 * @example
 *   const { cloud, close } = await openCloud(config.cloud, { logger, hosts });
 */
export async function openCloud(
  config: CloudConfig,
  deps: { logger: Logger; clock?: Clock; hosts?: SimulatedHosts; simulator?: SimulatorOptions },
): Promise<OpenedCloud> {
  const clock = deps.clock ?? systemClock;
  const common: Partial<HuaweiCloudSettingsInput> = {
    ...(config.enterpriseProjectId ? { enterpriseProjectId: config.enterpriseProjectId } : {}),
    ...(config.imageIds ? { imageIds: config.imageIds } : {}),
    ...(config.sharedNetwork ? { sharedNetwork: config.sharedNetwork } : {}),
    ...(config.timeoutMs ? { timeoutMs: config.timeoutMs } : {}),
    ...(config.pollIntervalMs ? { pollIntervalMs: config.pollIntervalMs } : {}),
  };
  if (config.ak && config.sk) {
    if (!config.projectId) {
      throw new TypeError(
        'KGD_CLOUD_PROJECT_ID: required with KGD_CLOUD_AK / KGD_CLOUD_SK (the project id of the region, from the console\'s "My Credentials" page)',
      );
    }
    const settings = parseHuaweiCloudSettings({
      region: config.region,
      projectId: config.projectId,
      ak: config.ak,
      sk: config.sk,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      ...common,
    });
    return {
      cloud: fromHuaweiSdk({ settings, logger: deps.logger, clock }),
      settings,
      simulator: undefined,
      close: async () => {},
    };
  }
  const simulator = await startSimulator({
    region: config.region,
    logger: deps.logger,
    ...(deps.hosts ? { hosts: deps.hosts } : {}),
    ...deps.simulator,
  });
  deps.logger.warn(
    { endpoint: simulator.endpoint, region: simulator.region },
    'NO CLOUD CREDENTIALS (KGD_CLOUD_AK / KGD_CLOUD_SK unset): deploying to the built-in cloud simulator; nothing is created on Huawei Cloud',
  );
  const settings = parseHuaweiCloudSettings({
    region: simulator.region,
    projectId: simulator.projectId,
    ak: simulator.ak,
    sk: simulator.sk,
    endpoint: simulator.endpoint,
    ...common,
    imageIds: { [simulator.region]: defaultImageId, ...config.imageIds },
  });
  return {
    cloud: fromHuaweiSdk({ settings, logger: deps.logger, clock }),
    settings,
    simulator,
    close: () => simulator.stop(),
  };
}
