import { resolveGuarded } from '../../platform/address-guard.js';
import { Permanent } from '../../platform/errors.js';
import type { StepScope } from '../engine/steps.js';
import type { DeployPlan } from '../model/plan.js';
import { buyerPolicy, type DeployDeps, instanceOf, productOf, resourceName } from './deps.js';
import { createNetworkSteps, tagsOf } from './network.js';

/** A deployment onto a server the buyer named in the order's extension parameters. */
export function createExistingServerSteps(deps: DeployDeps) {
  const network = createNetworkSteps(deps);
  return {
    /**
     * Checks the buyer-named server before anything connects to it: its address (each one its
     * name resolves to) must be public and outside the deny list, and the address checked is
     * the one every later step connects to (pinned as the instance's eip: a name that resolves
     * elsewhere later changes nothing). A refusal is permanent and names the address and rule.
     */
    async useExistingServer(instanceId: string, plan: DeployPlan, s: StepScope) {
      const { host, serverId } = plan.existingServer!;
      const product = productOf(deps, plan);
      const ex = product.existingServer!;
      // Seller mode: the service holds the seller's credentials only, so a server id names
      // nothing of the buyer's; looking it up would let a buyer probe the seller's account.
      if (serverId && !ex.serverIdLookup)
        throw new Permanent(
          `the order names server id ${serverId} (${ex.serverIdParam}), which this product does not look up in the seller's account: set existingServer.serverIdLookup in its template to allow it`,
        );
      const address = await resolveGuarded(
        host,
        buyerPolicy(deps, product),
        deps.buyerTargets.resolve,
      );
      await deps.store.updateInstance(instanceId, {
        eip: address,
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
          `installing onto the buyer's server ${address}${address === host ? '' : ` (${host})`}: its security group must admit the product's ports (not visible to this account)`,
        );
      }
      return { host: address };
    },
  };
}
