import { tagKeys } from '../../cloud/tags.js';
import { Retryable } from '../../platform/errors.js';
import type { EngineDeps, StepScope } from '../flow-context.js';
import { timeouts } from '../policies.js';
import { liveServers, waitJob } from './server.js';

/**
 * Cleanup by tag, in reverse order of creation: servers (with their EIP and volumes), then the
 * security group, subnet and VPC the instance owns. Every function is idempotent: what is already
 * gone is fine, so a crash halfway and a rerun finish the job.
 */
export async function deleteServersOf(
  deps: EngineDeps,
  instanceId: string,
  s: StepScope,
): Promise<number> {
  const servers = await liveServers(deps, instanceId);
  if (servers.length === 0) return 0;
  const { jobId } = await deps.cloud.deleteServers(
    servers.map((x) => x.id),
    { deletePublicIp: true, deleteVolume: true },
  );
  await s.log(
    'info',
    `deleting server(s) ${servers.map((x) => x.id).join(', ')} with their EIP and volumes`,
  );
  if (jobId) await waitJob(deps, jobId, timeouts.deleteJobMs, s);
  return servers.length;
}

/** Retries a delete that answers "still in use" (409) until what uses it is gone. */
async function untilFree(s: StepScope, what: string, fn: () => Promise<void>) {
  await s.pollUntil(`${what} to be deletable`, timeouts.teardownVerifyMs, async () => {
    try {
      await fn();
      return true;
    } catch (err) {
      if (err instanceof Retryable) return undefined;
      throw err;
    }
  });
}

export async function deleteNetworkOf(
  deps: EngineDeps,
  instanceId: string,
  s: StepScope,
): Promise<number> {
  const found = await deps.cloud.findNetworkByTag(tagKeys.instance, instanceId);
  for (const sg of found.securityGroups)
    await untilFree(s, `security group ${sg.id}`, () => deps.cloud.deleteSecurityGroup(sg.id));
  for (const subnet of found.subnets.filter((x) => x.owned)) {
    await untilFree(s, `subnet ${subnet.id}`, () =>
      deps.cloud.deleteSubnet(subnet.vpcId, subnet.id),
    );
  }
  for (const vpc of found.vpcs.filter((x) => x.owned))
    await untilFree(s, `VPC ${vpc.id}`, () => deps.cloud.deleteVpc(vpc.id));
  const n = found.securityGroups.length + found.subnets.length + found.vpcs.length;
  if (n > 0)
    await s.log(
      'info',
      `deleted ${found.securityGroups.length} security group(s), ${found.subnets.length} subnet(s), ${found.vpcs.length} VPC(s)`,
    );
  return n;
}

/** Lists everything tagged with the instance; deletes again what a late create left, until none. */
export async function verifyNothingLeft(
  deps: EngineDeps,
  instanceId: string,
  s: StepScope,
): Promise<{ rounds: number }> {
  let rounds = 0;
  await s.pollUntil(
    `nothing tagged kgd-instance=${instanceId} to remain`,
    timeouts.teardownVerifyMs,
    async () => {
      rounds++;
      const servers = await liveServers(deps, instanceId);
      const net = await deps.cloud.findNetworkByTag(tagKeys.instance, instanceId);
      const owned =
        net.securityGroups.length +
        net.subnets.filter((x) => x.owned).length +
        net.vpcs.filter((x) => x.owned).length;
      if (servers.length === 0 && owned === 0) return true;
      await s.log(
        'warn',
        `still tagged with the instance: ${servers.length} server(s), ${owned} network resource(s); deleting again`,
      );
      await deleteServersOf(deps, instanceId, s);
      await deleteNetworkOf(deps, instanceId, s);
      return undefined;
    },
  );
  return { rounds };
}
