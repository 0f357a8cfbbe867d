import { clientToken } from '../../cloud/client-token.js';
import type { ServerInfo } from '../../cloud/cloud-api.js';
import { tagKeys } from '../../cloud/tags.js';
import { waitForJob } from '../../cloud/wait-for-job.js';
import { CapacityExhausted, type CapacityScope, Permanent } from '../../platform/errors.js';
import { generatePassword } from '../../platform/passwords.js';
import { timeouts } from '../engine/policies.js';
import type { StepScope } from '../engine/steps.js';
import type { DeployPlan } from '../model/plan.js';
import type { OperationSnapshot } from '../ports.js';
import { type DeployDeps, instanceOf, resourceName } from './deps.js';
import { tagsOf } from './network.js';
import { deleteServers } from './teardown.js';

export type Candidate = { flavor: string; az?: string };

/**
 * A create call's outcome: a job to wait for, a server adopted, or the choice refused for
 * capacity (`scope` `flavor`: no AZ will have this flavor; absent in records of older runs: `az`).
 */
export type CreateResult =
  | { jobId: string }
  | { adopted: string }
  | { capacity: string; scope?: CapacityScope };

export type ServerJobResult =
  | { ok: true; serverId: string }
  | { ok: false; capacity: string; scope?: CapacityScope };

export const describeCandidate = (c: Candidate) => `${c.flavor}${c.az ? ` in ${c.az}` : ''}`;

/** Server steps: credentials, creation with fallbacks, waits, power and resize. */
export function createServerSteps(deps: DeployDeps) {
  /** Polls a job adaptively; FAIL surfaces as the adapter's classified error. */
  const waitJob = (jobId: string, timeoutMs: number, s: StepScope) =>
    waitForJob(deps.cloud, jobId, {
      clock: deps.clock,
      timeoutMs,
      signal: s.signal,
      ...(deps.pollDelay ? { delay: deps.pollDelay } : {}),
      // Cloud API polls of every deployment share this replica's budget.
      ...(deps.pollLimiter ? { beforePoll: () => deps.pollLimiter!.take() } : {}),
    });

  const liveServers = async (instanceId: string): Promise<ServerInfo[]> =>
    (await deps.cloud.findServersByTag(tagKeys.instance, instanceId)).filter(
      (s) => s.status !== 'DELETED' && s.status !== 'SOFT_DELETED',
    );

  const rootPassword = async (instanceId: string): Promise<string> => {
    const password = deps.secrets.rootPassword(await instanceOf(deps, instanceId));
    if (!password) throw new Permanent(`instance ${instanceId} has no root password yet`);
    return password;
  };

  return {
    waitJob,
    liveServers,
    rootPassword,

    /** The server's root password: generated once, sealed; steps never return it (outputs are stored). */
    async prepareCredentials(instanceId: string) {
      const sealed = deps.secrets.sealRootPassword(instanceId, generatePassword(20));
      await deps.store.setRootPasswordOnce(instanceId, sealed);
      return { prepared: true };
    },

    /**
     * Creates the instance's server for one candidate (flavor, AZ) — after looking: one instance
     * has at most one server. A matching server (a crash after the create call, a rerun with the
     * same inputs) is adopted; a non-matching one (a rerun with another flavor, an ERROR leftover)
     * is deleted first. The client token is derived from the instance, operation, candidate and
     * rerun count, so a retried create returns the original job. A choice sold out at the create
     * call is answered like one sold out in the job: the caller tries the next.
     */
    async createServer(
      op: OperationSnapshot,
      plan: DeployPlan,
      candidate: Candidate,
      network: { vpcId: string; subnetId: string; securityGroupId: string },
      s: StepScope,
    ): Promise<CreateResult> {
      const inst = await instanceOf(deps, op.instanceId);
      for (const existing of await liveServers(inst.id)) {
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
        // Until it is gone, and its EIP too if the delete left it behind (an orphan otherwise).
        await deleteServers(deps, { servers: [existing] }, s);
      }
      const password = await rootPassword(inst.id);
      // A crash and a retry reuse the token (the cloud answers with the original job); an
      // operator's rerun is a deliberate new attempt and gets a new one.
      const { reruns } = await deps.store.operationInputs(op.id);
      const token = clientToken({
        instanceId: inst.id,
        operationId: op.id,
        step: `create-server:${candidate.flavor}:${candidate.az ?? '-'}:${reruns}`,
      });
      await deps.createPacer?.acquire(s.signal);
      try {
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
          eip: {
            bandwidthMb: plan.bandwidthMb,
            ...(plan.regionOverride?.eipType ? { type: plan.regionOverride.eipType } : {}),
          },
          tags: tagsOf(inst),
          metadata: { 'kgd-product': plan.productName, 'kgd-sku': plan.skuCode },
          description: `KooGallery order ${inst.order_id}`,
        });
        await s.log('info', `creating ${describeCandidate(candidate)} server: job ${jobId}`);
        return { jobId };
      } catch (err) {
        if (!(err instanceof CapacityExhausted)) throw err;
        await s.log('warn', `${describeCandidate(candidate)} refused: ${err.message}`);
        return { capacity: err.message, scope: err.scope };
      }
    },

    /** Waits for the create job (or the adopted server's build): its id, or why it is unavailable. */
    async waitServerJob(created: CreateResult, s: StepScope): Promise<ServerJobResult> {
      if ('adopted' in created) {
        // Adopted while still being built (a crash after the create call): a create job that
        // fails rolls its server back, and that choice is unavailable like a failed job's.
        const serverId = created.adopted;
        return s.poll(`server ${serverId} to be built`, timeouts.serverJobMs, async () => {
          await deps.pollLimiter?.take();
          const info = await deps.cloud.getServer(serverId);
          if (!info || info.status === 'DELETED' || info.status === 'SOFT_DELETED')
            return { ok: false, capacity: `server ${serverId} was rolled back while being built` };
          return info.status === 'BUILD' ? undefined : { ok: true, serverId };
        });
      }
      if ('capacity' in created) return { ok: false, ...created };
      try {
        const job = await waitJob(created.jobId, timeouts.serverJobMs, s);
        const serverId = job.serverIds[0];
        if (!serverId) throw new Permanent(`job ${created.jobId} succeeded without a server id`);
        return { ok: true, serverId };
      } catch (err) {
        if (err instanceof CapacityExhausted)
          return { ok: false, capacity: err.message, scope: err.scope };
        throw err;
      }
    },

    /** Waits until the server is ACTIVE with its EIP; records where it is. */
    async waitServerActive(instanceId: string, serverId: string, s: StepScope) {
      const server = await s.poll(
        `server ${serverId} to be ACTIVE with an EIP`,
        timeouts.serverActiveMs,
        async () => {
          await deps.pollLimiter?.take();
          const info = await deps.cloud.getServer(serverId);
          if (!info) throw new Permanent(`server ${serverId} disappeared while starting`);
          if (info.status === 'ERROR')
            throw new Permanent(
              `server ${serverId} went into ERROR: ${info.fault?.message ?? 'no reason given'}`,
            );
          return info.status === 'ACTIVE' && info.floatingIps.length > 0 ? info : undefined;
        },
      );
      const eip = server.floatingIps[0]!;
      const inst = await instanceOf(deps, instanceId);
      await deps.store.updateInstance(instanceId, {
        server_id: server.id,
        // A new server has a new host key: the one pinned belonged to the server a rerun or a
        // failed deploy's cleanup replaced, and would refuse it. The one place this is decided.
        ...(inst.server_id !== server.id ? { host_key: null } : {}),
        eip,
        private_ip: server.fixedIps[0] ?? null,
        flavor: server.flavor,
        az: server.az,
        updated_at: deps.clock.now(),
      });
      await s.log(
        'info',
        `server ${server.id} is ACTIVE at ${eip} (${server.flavor}, ${server.az})`,
      );
      return { serverId: server.id, eip, privateIp: server.fixedIps[0] ?? null };
    },

    /** Logs how long the buyer's service was down, from `since` (a checkpointed time) to now. */
    async logDowntime(since: string, what: string, s: StepScope) {
      const seconds = Math.round((deps.clock.now().getTime() - Date.parse(since)) / 1000);
      await s.log(
        'info',
        `buyer-visible downtime of the ${what}: ${seconds} s (down since ${since})`,
      );
    },

    /** Stops (disk kept) or starts the instance's servers that are not already so. */
    async powerServers(instanceId: string, action: 'stop' | 'start', s: StepScope) {
      const servers = (await liveServers(instanceId)).filter((x) =>
        action === 'stop' ? x.status !== 'SHUTOFF' : x.status === 'SHUTOFF',
      );
      const at = deps.clock.now().toISOString();
      if (servers.length === 0) return { changed: 0, at };
      const ids = servers.map((x) => x.id);
      const { jobId } =
        action === 'stop'
          ? await deps.cloud.stopServers(ids, 'SOFT')
          : await deps.cloud.startServers(ids);
      await waitJob(jobId, timeouts.powerJobMs, s);
      await s.log(
        'info',
        `server(s) ${ids.join(', ')} ${action === 'stop' ? 'stopped (disk kept)' : 'started'}`,
      );
      return { changed: ids.length, at };
    },

    /**
     * Resizes the instance's stopped server to `flavor`, after looking: a crash or a lost answer
     * after the resize call leaves the server resizing (waited for) or already on `flavor`, which
     * the cloud refuses to resize to again. A server found running is stopped first.
     */
    async resizeServer(instanceId: string, flavor: string, s: StepScope) {
      const inst = await instanceOf(deps, instanceId);
      const serverId = inst.server_id;
      if (!serverId) throw new Permanent(`instance ${instanceId} has no server to resize`);
      const server = await s.poll(
        `server ${serverId} to end a resize in progress`,
        timeouts.resizeJobMs,
        async () => {
          await deps.pollLimiter?.take();
          const info = await deps.cloud.getServer(serverId);
          if (!info) throw new Permanent(`server ${serverId} disappeared before its resize`);
          return info.status === 'RESIZE' ? undefined : info;
        },
      );
      if (server.flavor === flavor) {
        await s.log('info', `server ${serverId} already has flavor ${flavor}`);
      } else {
        if (server.status !== 'SHUTOFF') {
          // ECS resizes a stopped server only (a running one is refused, Ecs.0100): one started
          // since the stop step (from the console) is stopped again, never resized running.
          await s.log('warn', `server ${serverId} is ${server.status}, not stopped: stopping it`);
          await waitJob(
            (await deps.cloud.stopServers([serverId], 'SOFT')).jobId,
            timeouts.powerJobMs,
            s,
          );
        }
        const { jobId } = await deps.cloud.resizeServer(serverId, flavor);
        await waitJob(jobId, timeouts.resizeJobMs, s);
        await s.log('info', `server ${serverId} resized from ${server.flavor} to ${flavor}`);
      }
      await deps.store.updateInstance(instanceId, { flavor, updated_at: deps.clock.now() });
      return { flavor };
    },
  };
}
