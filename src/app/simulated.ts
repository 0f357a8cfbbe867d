import path from 'node:path';
import { fromHuaweiSdk } from '../cloud/huawei-adapter.js';
import type { OrderSource } from '../deployments/ports.js';
import { createLicenseUploadClient } from '../marketplace/license-upload-client.js';
import { createOrderQueryClient } from '../marketplace/order-query-client.js';
import type { Clock } from '../platform/clock.js';
import type { Config } from '../platform/config.js';
import type { Logger, SecretScrubber } from '../platform/logger.js';
import type { ProductCatalog } from '../products/catalog.js';
import { fromSsh2 } from '../remote/from-ssh2.js';
import { defaultImageId } from '../simulator/cloud/catalog.js';
import { createSimulatedHosts } from '../simulator/hosts/create-simulated-hosts.js';
import type { SimulatedHosts } from '../simulator/hosts/simulated-hosts.js';
import { type SimulatorOptions, startSimulator } from '../simulator/server.js';
import { type Adapters, cloudSettings } from './adapters.js';
import { productImages } from './product-images.js';

export interface SimulatedOptions {
  /** Overrides of the simulator (tests: time scale, EIP pool, seed, the marketplace's config). */
  simulator?: SimulatorOptions;
  /** The simulated machines; created here (namespaces, as root) when absent. */
  hosts?: SimulatedHosts;
}

/**
 * Starts the cloud and marketplace simulator (said loudly: nothing real is created) and points the
 * real adapters at it: the official SDK over HTTP, real SSH to namespace machines, the order API.
 */
export async function simulatedAdapters(
  config: Config,
  deps: {
    logger: Logger;
    clock: Clock;
    catalog: ProductCatalog;
    marketplaceKey: string;
    scrubber: SecretScrubber;
  },
  options: SimulatedOptions = {},
): Promise<Adapters> {
  const { logger } = deps;
  const closers: Array<() => Promise<void>> = [];
  const isRoot = process.getuid?.() === 0;
  let hosts = options.hosts;
  if (!hosts && isRoot) {
    const created = createSimulatedHosts({
      dataDir: path.join(config.dataDir, 'simulator'),
      logger: logger.child({ component: 'sim-hosts' }),
      ...(config.simulator.sshPort ? { sshPort: config.simulator.sshPort } : {}),
    });
    closers.push(() => created.close());
    hosts = created;
  }
  if (!hosts)
    logger.warn(
      'the built-in simulator runs its servers in Linux namespaces, which needs root: deploys will fail at SSH; run as root or configure a cloud',
    );
  try {
    const sim = await startSimulator({
      port: config.simulator.port,
      timeScale: config.simulator.timeScale,
      region: config.cloud.region,
      logger: logger.child({ component: 'simulator' }),
      ...(hosts ? { hosts } : {}),
      marketplace: {
        logger: logger.child({ component: 'sim-marketplace' }),
        config: { key: deps.marketplaceKey },
      },
      ...options.simulator,
    });
    closers.unshift(() => sim.stop());
    logger.warn(
      { endpoint: sim.endpoint, region: sim.region },
      'NO CLOUD CREDENTIALS (KGD_CLOUD_AK / KGD_CLOUD_SK unset): deploying to the built-in cloud simulator; nothing is created on Huawei Cloud',
    );
    deps.scrubber.add(sim.sk);
    for (const image of productImages(deps.catalog)) sim.registerImage(image);
    sim.marketplace?.configure({ sellerCredentials: [{ ak: sim.ak, sk: sim.sk }] });
    const settings = cloudSettings(
      { ...config.cloud, imageIds: { [sim.region]: defaultImageId, ...config.cloud.imageIds } },
      {
        ak: sim.ak,
        sk: sim.sk,
        projectId: sim.projectId,
        region: sim.region,
        endpoint: sim.endpoint,
      },
    );
    const orders: OrderSource = createOrderQueryClient({
      baseUrl: sim.endpoint,
      ak: sim.ak,
      sk: sim.sk,
      clock: deps.clock,
      timeoutMs: config.orderApiTimeoutMs,
    });
    const licenseDelivery = createLicenseUploadClient({
      hosts: [sim.endpoint],
      ak: sim.ak,
      sk: sim.sk,
      clock: deps.clock,
      timeoutMs: config.orderApiTimeoutMs,
    });
    const cloud = fromHuaweiSdk({
      settings,
      logger: logger.child({ component: 'cloud' }),
      clock: deps.clock,
    });
    return {
      cloud,
      quota: cloud,
      remote: fromSsh2({ logger }),
      orders,
      licenseDelivery,
      region: settings.region,
      simulator: { handle: sim, endpoint: sim.endpoint },
      async close() {
        for (const close of closers) await close().catch(() => {});
      },
    };
  } catch (err) {
    for (const close of closers) await close().catch(() => {});
    throw err;
  }
}
