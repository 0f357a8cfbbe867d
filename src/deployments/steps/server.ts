import { clientToken } from '../../cloud/client-token.js';
import type { ServerInfo } from '../../cloud/cloud-api.js';
import { classifyJobFailure } from '../../cloud/errors.js';
import { tagKeys } from '../../cloud/tags.js';
import type { Instance } from '../../platform/db/schema.js';
import { CapacityExhausted } from '../../platform/errors.js';
import { generatePassword } from '../../platform/passwords.js';
import { DeploymentFailure, type EngineDeps, type StepScope } from '../flow-context.js';
import type { DeployPlan } from '../plan.js';
import { timeouts } from '../policies.js';
import { getInstance, updateInstance } from '../store.js';
import { resourceName, tagsOf } from './network.js';

export const rootPasswordPurpose = (instanceId: string) => `instance:${instanceId}:root-password`;

/** The server's root password: generated once, sealed; steps never return it (outputs are stored). */
export async function prepareCredentials(deps: EngineDeps, instanceId: string): Promise<void> {
  const password = generatePassword(20);
  await deps.db
    .updateTable('instances')
    .set({ root_password_sealed: deps.secretBox.seal(password, rootPasswordPurpose(instanceId)) })
    .where('id', '=', instanceId)
    .where('root_password_sealed', 'is', null)
    .execute();
}

export async function rootPassword(deps: EngineDeps, inst: Instance): Promise<string> {
  const row = inst.root_password_sealed ? inst : await getInstance(deps.db, inst.id);
  if (!row?.root_password_sealed)
    throw new DeploymentFailure(`instance ${inst.id} has no root password yet`);
  return deps.secretBox.open(row.root_password_sealed, rootPasswordPurpose(inst.id));
}

export async function liveServers(deps: EngineDeps, instanceId: string): Promise<ServerInfo[]> {
  const servers = await deps.cloud.findServersByTag(tagKeys.instance, instanceId);
  return servers.filter((s) => s.status !== 'DELETED' && s.status !== 'SOFT_DELETED');
}

export type CreateResult = { jobId: string } | { adopted: string };

/**
 * Creates the instance's server for one candidate (flavor, AZ) — after looking: one instance has
 * at most one server. A matching server (a crash after the create call, a rerun with the same
 * inputs) is adopted; a non-matching one (a rerun with another flavor, an ERROR leftover) is
 * deleted first. The client token is derived from the instance, operation and candidate, so a
 * retried create returns the original job.
 */
export async function createServer(
  deps: EngineDeps,
  inst: Instance,
  plan: DeployPlan,
  candidate: { flavor: string; az?: string },
  operationId: string,
  network: { vpcId: string; subnetId: string; securityGroupId: string },
  s: StepScope,
): Promise<CreateResult> {
  for (const existing of await liveServers(deps, inst.id)) {
    const matches =
      existing.flavor === candidate.flavor &&
      (!candidate.az || existing.az === candidate.az) &&
      existing.status !== 'ERROR';
    if (matches) {
      await s.log(
        'info',
        `server ${existing.id} (${existing.flavor}) already exists for this instance: adopting it`,
      );
      return { adopted: existing.id };
    }
    await s.log(
      'warn',
      `deleting server ${existing.id} (${existing.flavor}, ${existing.status}) before creating a ${candidate.flavor}`,
    );
    const del = await deps.cloud.deleteServers([existing.id], {
      deletePublicIp: true,
      deleteVolume: true,
    });
    if (del.jobId) await waitJob(deps, del.jobId, timeouts.deleteJobMs, s);
  }
  const password = await rootPassword(deps, inst);
  // A crash and a retry reuse the token (the cloud answers with the original job); an operator's
  // rerun is a deliberate new attempt and gets a new one.
  const op = await deps.db
    .selectFrom('operations')
    .select('reruns')
    .where('id', '=', operationId)
    .executeTakeFirst();
  const token = clientToken({
    instanceId: inst.id,
    operationId,
    step: `create-server:${candidate.flavor}:${candidate.az ?? '-'}:${op?.reruns ?? 0}`,
  });
  await deps.createRate?.acquire((ms) => s.sleep(ms));

  const { jobId } = await deps.cloud.createServer({
    clientToken: token,
    name: resourceName(inst.id),
    imageId: plan.imageId,
    flavor: candidate.flavor,
    ...(candidate.az ? { az: candidate.az } : {}),
    vpcId: network.vpcId,
    subnetId: network.subnetId,
    securityGroupIds: [network.securityGroupId],
    adminPass: password,
    rootVolume: plan.rootVolume,
    eip: { bandwidthMb: plan.bandwidthMb },
    tags: tagsOf(inst),
    metadata: { 'kgd-product': plan.productName, 'kgd-sku': plan.skuCode },
    description: `KooGallery order ${inst.order_id}`,
  });
  await s.log(
    'info',
    `creating ${candidate.flavor} server${candidate.az ? ` in ${candidate.az}` : ''}: job ${jobId}`,
  );
  return { jobId };
}

/** Polls a job adaptively; FAIL surfaces as the adapter's classified CloudError. */
export async function waitJob(deps: EngineDeps, jobId: string, timeoutMs: number, s: StepScope) {
  return s.pollUntil(`job ${jobId}`, timeoutMs, async () => {
    await deps.pollLimiter?.take(); // cloud API polls share this replica's budget
    const job = await deps.cloud.getJob(jobId);

    if (job.status === 'SUCCESS') return job;
    if (job.status === 'FAIL')
      throw classifyJobFailure(job, { operation: 'ecs.showJob', region: deps.region });
    return undefined;
  });
}

export type ServerJobResult = { ok: true; serverId: string } | { ok: false; capacity: string };

/** Waits for the create job: the new server's id, or the sold-out / capacity reason. */
export async function waitServerJob(
  deps: EngineDeps,
  created: CreateResult,
  s: StepScope,
): Promise<ServerJobResult> {
  if ('adopted' in created) return { ok: true, serverId: created.adopted };
  try {
    const job = await waitJob(deps, created.jobId, timeouts.serverJobMs, s);
    const serverId = job.serverIds[0];
    if (!serverId)
      throw new DeploymentFailure(`job ${created.jobId} succeeded without a server id`);
    return { ok: true, serverId };
  } catch (err) {
    if (err instanceof CapacityExhausted) return { ok: false, capacity: err.message };
    throw err;
  }
}

/** Waits until the server is ACTIVE with its EIP; records where it is. */
export async function waitServerActive(
  deps: EngineDeps,
  inst: Instance,
  serverId: string,
  s: StepScope,
) {
  const server = await s.pollUntil(
    `server ${serverId} to be ACTIVE with an EIP`,
    timeouts.serverActiveMs,
    async () => {
      await deps.pollLimiter?.take();
      const info = await deps.cloud.getServer(serverId);

      if (!info) throw new DeploymentFailure(`server ${serverId} disappeared while starting`);
      if (info.status === 'ERROR')
        throw new DeploymentFailure(
          `server ${serverId} went into ERROR: ${info.fault?.message ?? 'no reason given'}`,
        );
      return info.status === 'ACTIVE' && info.floatingIps.length > 0 ? info : undefined;
    },
  );
  const eip = server.floatingIps[0]!;
  await updateInstance(deps.db, inst.id, {
    server_id: server.id,
    eip,
    private_ip: server.fixedIps[0] ?? null,
    flavor: server.flavor,
    az: server.az,
    updated_at: deps.clock.now(),
  });
  await s.log('info', `server ${server.id} is ACTIVE at ${eip} (${server.flavor}, ${server.az})`);
  return { serverId: server.id, eip, privateIp: server.fixedIps[0] ?? null };
}
