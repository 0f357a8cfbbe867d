import type { OperatorHost } from '../operators/cli/operator-context.js';

/**
 * How operator and license commands open their resources: the same runtime as `kgd serve`, the
 * workflow store through a DBOS client, and the configured cloud for the sweep (real credentials,
 * or a `kgd simulator` named by KGD_CLOUD_ENDPOINT). Each loads its modules on first use.
 */
export const operatorHost: OperatorHost = {
  openRuntime: async (env, options) => (await import('./runtime.js')).openRuntime(env, options),
  async openWorkflows(runtime) {
    const { openWorkflowControl } = await import('../deployments/engine/workflow-control.js');
    return openWorkflowControl(runtime.database.url, runtime.logger);
  },
  async openCloud(runtime) {
    const { config } = runtime;
    if (!config.cloud.ak || !config.cloud.sk) return undefined;
    const [{ realAdapters }, { systemClock }] = await Promise.all([
      import('./adapters.js'),
      import('../platform/clock.js'),
    ]);
    const adapters = realAdapters(config, { logger: runtime.logger, clock: systemClock });
    return { cloud: adapters.cloud, close: () => adapters.close() };
  },
  async openLicenseCodes(runtime) {
    const { config } = runtime;
    if (!config.cloud.ak || !config.cloud.sk) return undefined;
    const [{ createLicenseCodeClient }, { marketplaceHosts }, { systemClock }] = await Promise.all([
      import('../marketplace/license-code-client.js'),
      import('./adapters.js'),
      import('../platform/clock.js'),
    ]);
    return createLicenseCodeClient({
      hosts: marketplaceHosts(config.marketplaceApiUrl, config.marketplaceApiFallbackUrl),
      ak: config.cloud.ak,
      sk: config.cloud.sk,
      clock: systemClock,
      timeoutMs: config.orderApiTimeoutMs,
    });
  },
};
