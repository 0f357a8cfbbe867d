import { openWorkflowControl } from '../deployments/engine/workflow-control.js';
import type { OperatorHost } from '../operators/cli/operator-context.js';
import { systemClock } from '../platform/clock.js';
import { realAdapters } from './adapters.js';
import { openRuntime } from './runtime.js';

/**
 * How operator and license commands open their resources: the same runtime as `kgd serve`, the
 * workflow store through a DBOS client, and the configured cloud for the sweep (real credentials,
 * or a `kgd simulator` named by KGD_CLOUD_ENDPOINT).
 */
export const operatorHost: OperatorHost = {
  openRuntime,
  openWorkflows: (runtime) => openWorkflowControl(runtime.database.url, runtime.logger),
  async openCloud(runtime) {
    const { config } = runtime;
    if (!config.cloud.ak || !config.cloud.sk) return undefined;
    const adapters = realAdapters(config, { logger: runtime.logger, clock: systemClock });
    return { cloud: adapters.cloud, close: () => adapters.close() };
  },
};
