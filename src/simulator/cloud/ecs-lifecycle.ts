import { nowIso, type SimContext } from './context.js';
import { createJob, finishSubJob } from './ecs-jobs.js';
import { type CapacityReasonShape, capacityReasonShapes } from './faults.js';
import { codes } from './sim-errors.js';
import type { SimJob, SimServer } from './store.js';

/**
 * Server lifecycles as ECS runs them (huawei-cloud.md §3), on the simulator's timeline:
 * create BUILD → ACTIVE (then the machine boots), or FAIL as sold out and rolled back;
 * stop → SHUTOFF; start → ACTIVE; reboot REBOOT → ACTIVE; resize RESIZE → VERIFY_RESIZE → the
 * previous state on the new flavor; delete → DELETED (port released later) → gone (GET answers
 * 404 Ecs.0114). Each transition
 * re-checks the server, since another job may have deleted it meanwhile.
 */
const touch = (ctx: SimContext, s: SimServer) => {
  s.updatedAt = nowIso(ctx);
};
const later = (ctx: SimContext, kind: Parameters<SimContext['latency']['draw']>[0]) =>
  ctx.clock.now().getTime() + ctx.latency.draw(kind);
const alive = (ctx: SimContext, s: SimServer) =>
  ctx.store.servers.get(s.id) === s && s.status !== 'DELETED';

/** Frees what a server holds: its fixed IP, its EIP (or leaves it unbound), its root volume. */
function releaseServer(
  ctx: SimContext,
  server: SimServer,
  options: { deletePublicIp: boolean; deleteVolume: boolean },
): void {
  ctx.store.servers.delete(server.id);
  releasePort(ctx, server);
  releaseAttachments(ctx, server, options);
}

/** The server's port leaves its subnet and security groups. */
function releasePort(ctx: SimContext, server: SimServer): void {
  ctx.store.subnets.get(server.subnetId)?.usedIps.delete(server.fixedIp);
  server.securityGroupIds = [];
}

function releaseAttachments(
  ctx: SimContext,
  server: SimServer,
  options: { deletePublicIp: boolean; deleteVolume: boolean },
): void {
  const eip = server.eipId ? ctx.store.eips.get(server.eipId) : undefined;
  if (eip) {
    if (options.deletePublicIp) {
      ctx.store.eips.delete(eip.id);
      ctx.eipPool.release(eip.address);
    } else {
      eip.serverId = undefined;
    }
  }
  const volume = ctx.store.volumes.get(server.rootVolumeId);
  if (volume) {
    if (options.deleteVolume) ctx.store.volumes.delete(volume.id);
    else volume.serverId = undefined;
  }
  ctx.hosts.destroy(server);
}

/**
 * A create whose capacity ran out after it was accepted: the sub-job FAILs, its reason written
 * where ECS writes it (one of three places at random: the job and the sub-job alike; a generic
 * Ecs.0219 on the job with the capacity reason in the sub-job; or the reason only in the
 * sub-job's `entities.errorcode_message`), and the server rolled back or left in ERROR.
 */
function failForCapacity(
  ctx: SimContext,
  job: SimJob,
  server: SimServer,
  leaveError: boolean,
  where?: CapacityReasonShape,
) {
  const soldOut = `Flavor ${server.flavor} is sold out in availability zone ${server.az}; the capacity for this flavor is insufficient.`;
  const generic = {
    code: codes.ecsQuickCreateFailed,
    reason: `Failed to quickly create server ${server.id} because the ECS status is error or the creation timed out.`,
  };
  const shapes = {
    job: { code: codes.ecsSoldOut, reason: soldOut },
    'sub-job': { code: codes.ecsSoldOut, reason: soldOut, job: generic },
    errorcode_message: {
      message: `${codes.ecsSoldOut}: Check capacity: Capacity is not enough.`,
      job: generic,
    },
  };
  const shape =
    shapes[where ?? capacityReasonShapes[Math.floor(ctx.random() * capacityReasonShapes.length)]!];
  ctx.scheduler.at(later(ctx, 'failMs'), () => {
    if (alive(ctx, server)) {
      if (leaveError) {
        // Not rolled back: the server stays in ERROR, holding its address, EIP and disk until
        // it is deleted (huawei-cloud.md §5.1).
        server.status = 'ERROR';
        server.taskState = null;
        server.fault = {
          code: 500,
          message: 'No valid host was found. There are not enough hosts available.',
        };
        touch(ctx, server);
      } else {
        releaseServer(ctx, server, { deletePublicIp: true, deleteVolume: true });
      }
    }
    finishSubJob(ctx, job, server.id, { ok: false, ...shape });
  });
}

/** Starts the create job; `capacity` when the servers find no capacity once accepted. */
export function beginCreate(
  ctx: SimContext,
  servers: SimServer[],
  capacity?: { leaveError: boolean; reason?: CapacityReasonShape },
): SimJob {
  const job = createJob(
    ctx,
    'createServer',
    'createSingleServer',
    servers.map((s) => s.id),
  );
  for (const server of servers) {
    if (capacity || !flavorInStock(ctx, server)) {
      failForCapacity(ctx, job, server, capacity?.leaveError ?? false, capacity?.reason);
      continue;
    }
    const activeAt = later(ctx, 'serverCreateMs');
    ctx.scheduler.at(activeAt, () => {
      if (!alive(ctx, server) || server.status !== 'BUILD') {
        finishSubJob(ctx, job, server.id, {
          ok: false,
          code: codes.ecsNotFound,
          reason: 'the server was deleted while being created',
        });
        return;
      }
      server.status = 'ACTIVE';
      server.taskState = null;
      touch(ctx, server);
      ctx.hosts.start(server);
    });
    ctx.scheduler.at(activeAt + Math.round(1000 * ctx.latency.timeScale), () => {
      finishSubJob(
        ctx,
        job,
        server.id,
        alive(ctx, server)
          ? { ok: true }
          : {
              ok: false,
              code: codes.ecsNotFound,
              reason: 'the server was deleted while being created',
            },
      );
    });
  }
  return job;
}

function flavorInStock(ctx: SimContext, server: SimServer): boolean {
  return ctx.store.catalog.flavors.get(server.flavor)?.azs.includes(server.az) ?? false;
}

export function beginDelete(
  ctx: SimContext,
  servers: SimServer[],
  options: { deletePublicIp: boolean; deleteVolume: boolean },
): SimJob {
  const job = createJob(
    ctx,
    'deleteServer',
    'deleteSingleServer',
    servers.map((s) => s.id),
  );
  for (const server of servers) {
    server.taskState = 'deleting';
    const doneAt = later(ctx, 'deleteMs');
    // The job ends with the server DELETED, not gone (huawei-cloud.md §5.4): its port is
    // released seconds to minutes later (until then its subnet and groups are in use), and GET
    // answers 404 only after that.
    const portAt = doneAt + ctx.latency.draw('portReleaseMs');
    const goneAt = portAt + ctx.latency.draw('deletedLingerMs');
    ctx.scheduler.at(doneAt, () => {
      if (alive(ctx, server)) {
        server.status = 'DELETED';
        server.taskState = null;
        touch(ctx, server);
        // In fault mode a delete may leave the server's EIP behind, unbound, to be deleted on
        // its own (huawei-cloud.md §5.4: "EIPs not deleted with them").
        const leaveEip = options.deletePublicIp && ctx.faults.leavesEip();
        releaseAttachments(ctx, server, {
          ...options,
          deletePublicIp: options.deletePublicIp && !leaveEip,
        });
      }
      finishSubJob(ctx, job, server.id, { ok: true });
    });
    ctx.scheduler.at(portAt, () => releasePort(ctx, server));
    ctx.scheduler.at(goneAt, () => {
      if (ctx.store.servers.get(server.id) === server) ctx.store.servers.delete(server.id);
    });
  }
  return job;
}

type PowerAction = 'stop' | 'start' | 'reboot';

const powerPlan: Record<
  PowerAction,
  { from: string[]; via: string | null; to: string; task: string; noop: string }
> = {
  stop: { from: ['ACTIVE'], via: null, to: 'SHUTOFF', task: 'powering-off', noop: 'SHUTOFF' },
  start: { from: ['SHUTOFF'], via: null, to: 'ACTIVE', task: 'powering-on', noop: 'ACTIVE' },
  reboot: { from: ['ACTIVE'], via: 'REBOOT', to: 'ACTIVE', task: 'rebooting', noop: '' },
};

export function beginPower(ctx: SimContext, action: PowerAction, servers: SimServer[]): SimJob {
  const type = { stop: 'batchStopServer', start: 'batchStartServer', reboot: 'batchRebootServer' }[
    action
  ];
  const job = createJob(
    ctx,
    type,
    `${action}SingleServer`,
    servers.map((s) => s.id),
  );
  const plan = powerPlan[action];
  for (const server of servers) {
    const doneAt = later(ctx, `${action}Ms` as 'stopMs' | 'startMs' | 'rebootMs');
    if (server.status === plan.noop && server.taskState === null) {
      ctx.scheduler.at(doneAt, () => finishSubJob(ctx, job, server.id, { ok: true }));
      continue;
    }
    if (!plan.from.includes(server.status) || server.taskState !== null) {
      const state = server.taskState ? `${server.status}/${server.taskState}` : server.status;
      ctx.scheduler.at(doneAt, () =>
        finishSubJob(ctx, job, server.id, {
          ok: false,
          code: codes.ecsState,
          reason: `server ${server.id} is ${state}: cannot ${action} it now`,
        }),
      );
      continue;
    }
    server.taskState = plan.task;
    if (plan.via) server.status = plan.via;
    touch(ctx, server);
    ctx.scheduler.at(doneAt, () => {
      if (!alive(ctx, server)) {
        finishSubJob(ctx, job, server.id, {
          ok: false,
          code: codes.ecsNotFound,
          reason: 'the server was deleted',
        });
        return;
      }
      server.status = plan.to;
      server.taskState = null;
      touch(ctx, server);
      if (action === 'stop') ctx.hosts.stop(server);
      else if (action === 'start') ctx.hosts.start(server);
      else ctx.hosts.reboot(server);
      finishSubJob(ctx, job, server.id, { ok: true });
    });
  }
  return job;
}

export function beginResize(ctx: SimContext, server: SimServer, flavor: string): SimJob {
  const job = createJob(ctx, 'resizeServer', 'resizeSingleServer', [server.id]);
  const previous = server.status;
  const total = ctx.latency.draw('resizeMs');
  const start = ctx.clock.now().getTime();
  server.status = 'RESIZE';
  server.taskState = 'resize_prep';
  touch(ctx, server);
  if (
    ctx.faults.isSoldOut(server.az, flavor) ||
    !ctx.store.catalog.flavors.get(flavor)?.azs.includes(server.az)
  ) {
    ctx.scheduler.at(start + Math.round(total / 3), () => {
      if (!alive(ctx, server)) return;
      server.status = previous;
      server.taskState = null;
      finishSubJob(ctx, job, server.id, {
        ok: false,
        code: codes.ecsSoldOut,
        reason: `Flavor ${flavor} is sold out in availability zone ${server.az}; the capacity for this flavor is insufficient.`,
      });
    });
    return job;
  }
  ctx.scheduler.at(start + Math.round(total * 0.8), () => {
    if (!alive(ctx, server)) return;
    server.status = 'VERIFY_RESIZE';
    server.flavor = flavor;
    touch(ctx, server);
  });
  ctx.scheduler.at(start + total, () => {
    if (!alive(ctx, server)) {
      finishSubJob(ctx, job, server.id, {
        ok: false,
        code: codes.ecsNotFound,
        reason: 'the server was deleted',
      });
      return;
    }
    // The postpaid resize API confirms by itself: the server returns to its previous state.
    server.status = previous;
    server.taskState = null;
    touch(ctx, server);
    if (previous === 'ACTIVE') ctx.hosts.reboot(server);
    finishSubJob(ctx, job, server.id, { ok: true });
  });
  return job;
}
