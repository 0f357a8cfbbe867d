import type { DeployDeps } from './deps.js';
import { createExistingServerSteps } from './existing-server.js';
import { createLicenseSteps } from './license.js';
import { createLiveLicenseSteps } from './live-license.js';
import { createNetworkSteps } from './network.js';
import { createPlanSteps } from './plan.js';
import { createRemoteSteps } from './remote.js';
import { createServerSteps } from './server.js';
import { createTeardownSteps } from './teardown.js';

/**
 * Every step flows run, as plain functions over narrow ports: dependencies in, an object of
 * functions out. Each is idempotent against the outside world (look before create, tags, client
 * tokens), so running it again after a crash does no harm.
 *
 * @example
 *   const d = createDeploySteps(deps);
 *   const plan = await steps.run('plan', 'local', (s) => d.plan(op, s));
 */
export function createDeploySteps(deps: DeployDeps) {
  return {
    ...createPlanSteps(deps),
    ...createNetworkSteps(deps),
    ...createServerSteps(deps),
    ...createExistingServerSteps(deps),
    ...createRemoteSteps(deps),
    ...createLicenseSteps(deps),
    ...createLiveLicenseSteps(deps),
    ...createTeardownSteps(deps),
  };
}

export type DeploySteps = ReturnType<typeof createDeploySteps>;
export type { DeployDeps } from './deps.js';
