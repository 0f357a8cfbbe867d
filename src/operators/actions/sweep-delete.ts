import type { CloudApi } from '../../cloud/cloud-api.js';
import { deleteResources } from '../../deployments/steps/teardown.js';
import type { Clock } from '../../platform/clock.js';
import type { SweepCandidate } from '../model.js';

export interface SweepDeleteDeps {
  cloud: CloudApi;
  clock: Clock;
  onProgress?: (message: string) => void;
}

/**
 * Deletes one sweep candidate's resources through the one teardown (deployments/steps/teardown):
 * servers with their EIP and volumes, then security groups, subnets and VPCs, each retried while
 * in use. Idempotent, so running it again after a failure finishes the job. Returns how many.
 */
export async function deleteCandidate(deps: SweepDeleteDeps, c: SweepCandidate): Promise<number> {
  const who = c.instanceId || '(untagged)';
  return deleteResources(deps, c, {
    log: async (_level, message) => deps.onProgress?.(`${who}: ${message}`),
  });
}
