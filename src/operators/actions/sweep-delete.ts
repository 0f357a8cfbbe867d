import type { CloudApi } from '../../cloud/cloud-api.js';
import { waitForJob } from '../../cloud/wait-for-job.js';
import type { Clock } from '../../platform/clock.js';
import { Retryable } from '../../platform/errors.js';
import type { SweepCandidate } from '../model.js';

export interface SweepDeleteDeps {
  cloud: CloudApi;
  clock: Clock;
  /** Pauses between polls (a real timer in production). */
  sleep: (ms: number) => Promise<void>;
  /** Per candidate: server deletion job, then each network resource still in use. */
  timeoutMs?: number;
  onProgress?: (message: string) => void;
}

/** Retries a delete answered "still in use" (409) until what uses it is gone or time is up. */
async function untilFree(deps: SweepDeleteDeps, deadline: number, fn: () => Promise<void>) {
  for (let delay = 500; ; delay = Math.min(delay * 2, 5000)) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof Retryable) || deps.clock.now().getTime() + delay > deadline) throw err;
      await deps.sleep(delay);
    }
  }
}

/**
 * Deletes one sweep candidate's resources in reverse order of creation: servers (with their
 * EIP and volumes, waiting for the job), then security groups, subnets and VPCs. Each delete is
 * idempotent, so running it again after a failure finishes the job. Returns how many it deleted.
 */
export async function deleteCandidate(deps: SweepDeleteDeps, c: SweepCandidate): Promise<number> {
  const deadline = deps.clock.now().getTime() + (deps.timeoutMs ?? 15 * 60_000);
  let n = 0;
  if (c.servers.length > 0) {
    deps.onProgress?.(`${c.instanceId || '(untagged)'}: deleting ${c.servers.length} server(s)`);
    const { jobId } = await deps.cloud.deleteServers(
      c.servers.map((s) => s.id),
      { deletePublicIp: true, deleteVolume: true },
    );
    if (jobId) {
      await waitForJob(deps.cloud, jobId, {
        clock: deps.clock,
        timeoutMs: Math.max(0, deadline - deps.clock.now().getTime()),
      });
    }
    n += c.servers.length;
  }
  for (const sg of c.securityGroups) {
    deps.onProgress?.(`${c.instanceId}: deleting security group ${sg.id}`);
    await untilFree(deps, deadline, () => deps.cloud.deleteSecurityGroup(sg.id));
    n++;
  }
  for (const sn of c.subnets) {
    deps.onProgress?.(`${c.instanceId}: deleting subnet ${sn.id}`);
    await untilFree(deps, deadline, () => deps.cloud.deleteSubnet(sn.vpcId, sn.id));
    n++;
  }
  for (const vpc of c.vpcs) {
    deps.onProgress?.(`${c.instanceId}: deleting VPC ${vpc.id}`);
    await untilFree(deps, deadline, () => deps.cloud.deleteVpc(vpc.id));
    n++;
  }
  return n;
}
