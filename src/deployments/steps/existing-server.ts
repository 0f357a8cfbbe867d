import { Permanent } from '../../platform/errors.js';
import type { StepScope } from '../engine/steps.js';
import type { DeployPlan } from '../model/plan.js';
import { type DeployDeps, instanceOf, resourceName } from './deps.js';
import { createNetworkSteps, tagsOf } from './network.js';

/** A deployment onto a server the buyer named in the order's extension parameters. */
export function createExistingServerSteps(deps: DeployDeps) {
  const network = createNetworkSteps(deps);
  return {
    async useExistingServer(instanceId: string, plan: DeployPlan, s: StepScope) {
      const { host, serverId } = plan.existingServer!;
      await deps.store.updateInstance(instanceId, {
        eip: host,
        server_id: serverId ?? null,
        updated_at: deps.clock.now(),
      });
      // The buyer's server is usually in the buyer's account; its ports are ours to open only if we see it.
      const server = serverId
        ? await deps.cloud.getServer(serverId).catch((err: unknown) => {
            if (err instanceof Permanent) return undefined; // not this account's to see
            throw err;
          })
        : undefined;
      if (server) {
        const inst = await instanceOf(deps, instanceId);
        const sg = await deps.cloud.ensureSecurityGroup({
          name: resourceName(instanceId),
          tags: tagsOf(inst),
          rules: network.securityRules(plan),
        });
        await s.log(
          'warn',
          `security group ${sg.id} prepared for the buyer's server ${serverId}; attach it if the server does not already admit the product's ports`,
        );
      } else {
        await s.log(
          'warn',
          `installing onto the buyer's server ${host}: its security group must admit the product's ports (not visible to this account)`,
        );
      }
      return { host };
    },
  };
}
