import type { CloudApi, ServerQuotaSource } from '../cloud/cloud-api.js';
import { fromHuaweiSdk } from '../cloud/huawei-adapter.js';
import {
  type HuaweiCloudSettingsInput,
  parseHuaweiCloudSettings,
} from '../cloud/huawei-settings.js';
import type { LicenseDelivery, OrderSource } from '../deployments/ports.js';
import { createLicenseUploadClient } from '../marketplace/license-upload-client.js';
import { createOrderQueryClient } from '../marketplace/order-query-client.js';
import type { Clock } from '../platform/clock.js';
import type { Config } from '../platform/config.js';
import { ConfigError } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';
import { fromSsh2 } from '../remote/from-ssh2.js';
import type { RemoteHost } from '../remote/remote-host.js';
import type { SimulatorHandle } from '../simulator/server.js';

/**
 * What the service talks to outside itself: the cloud, the servers over SSH, the marketplace's
 * order API. `realAdapters` reaches Huawei Cloud and KooGallery with the seller's credentials;
 * `simulatedAdapters` (simulated.ts) the built-in simulator. Everything above runs the same code
 * either way.
 */
export interface Adapters {
  cloud: CloudApi;
  /** The project's ECS quotas (the cloud-quota-nearly-exhausted alert). */
  quota?: ServerQuotaSource | undefined;
  remote: RemoteHost;
  orders: OrderSource;
  /** The marketplace's license upload API (getLicenseAsync). */
  licenseDelivery?: LicenseDelivery | undefined;
  /** The region deployments go to. */
  region: string;
  /** The embedded simulator, when no cloud credentials were configured. */
  simulator?: EmbeddedSimulator | undefined;
  close(): Promise<void>;
}

/** The built-in simulator the service runs against when no cloud credentials are given. */
interface EmbeddedSimulator {
  handle: SimulatorHandle;
  endpoint: string;
}

/** The cloud section of the configuration, as the Huawei adapter's settings (one mapping). */
export function cloudSettings(
  cloud: Config['cloud'],
  account: {
    ak: string;
    sk: string;
    projectId: string;
    region: string;
    endpoint?: string | undefined;
  },
) {
  const input: HuaweiCloudSettingsInput = {
    region: account.region,
    projectId: account.projectId,
    ak: account.ak,
    sk: account.sk,
    ...(account.endpoint ? { endpoint: account.endpoint } : {}),
    ...(cloud.enterpriseProjectId ? { enterpriseProjectId: cloud.enterpriseProjectId } : {}),
    imageIds: cloud.imageIds,
    ...(cloud.sharedNetwork ? { sharedNetwork: cloud.sharedNetwork } : {}),
    timeoutMs: cloud.timeoutMs,
    ...(cloud.pollIntervalMs ? { pollIntervalMs: cloud.pollIntervalMs } : {}),
  };
  return parseHuaweiCloudSettings(input);
}

export function realAdapters(config: Config, deps: { logger: Logger; clock: Clock }): Adapters {
  const { ak, sk, projectId } = config.cloud;
  if (!ak || !sk)
    throw new ConfigError(['KGD_CLOUD_AK / KGD_CLOUD_SK: both required for a real cloud']);
  if (!projectId)
    throw new ConfigError([
      'KGD_CLOUD_PROJECT_ID: required with KGD_CLOUD_AK / KGD_CLOUD_SK (the project id of the region, from the console\'s "My Credentials" page)',
    ]);
  const settings = cloudSettings(config.cloud, {
    ak,
    sk,
    projectId,
    region: config.cloud.region,
    endpoint: config.cloud.endpoint,
  });
  const cloud = fromHuaweiSdk({
    settings,
    logger: deps.logger.child({ component: 'cloud' }),
    clock: deps.clock,
  });
  return {
    cloud,
    quota: cloud,
    remote: fromSsh2({ logger: deps.logger }),
    orders: createOrderQueryClient({
      baseUrl: config.marketplaceApiUrl,
      ak,
      sk,
      clock: deps.clock,
      timeoutMs: config.orderApiTimeoutMs,
    }),
    licenseDelivery: createLicenseUploadClient({
      hosts: marketplaceHosts(config.marketplaceApiUrl, config.marketplaceApiFallbackUrl),
      ak,
      sk,
      clock: deps.clock,
      timeoutMs: config.orderApiTimeoutMs,
    }),
    region: settings.region,
    close: async () => {},
  };
}

/**
 * The cn site is retried on its .cn twin when unavailable (spec §2.6); others have one host,
 * unless KGD_MARKETPLACE_API_FALLBACK_URL names a second one.
 */
export function marketplaceHosts(primary: string, fallback?: string): string[] {
  if (fallback) return [primary, fallback];
  const cn = 'https://mkt.myhuaweicloud.com';
  return primary.replace(/\/$/, '') === cn ? [cn, 'https://mkt.myhuaweicloud.cn'] : [primary];
}
