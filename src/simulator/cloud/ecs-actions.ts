import type { Context, Hono } from 'hono';
import { z } from 'zod';
import type { SimContext, SimEnv } from './context.js';
import { flavorNotFound } from './ecs-create.js';
import { beginPower, beginResize } from './ecs-lifecycle.js';
import { serverOr404 } from './ecs-servers.js';
import { guard } from './guard.js';
import { readBody } from './http-body.js';
import { passwordProblem } from './passwords.js';
import { codes, SimHttpError } from './sim-errors.js';
import { computeUsage } from './store.js';

const refs = z
  .array(z.object({ id: z.string().min(1) }))
  .min(1)
  .max(1000);
const actionSchema = z.union([
  z.object({ 'os-stop': z.object({ servers: refs, type: z.enum(['SOFT', 'HARD']).optional() }) }),
  z.object({ 'os-start': z.object({ servers: refs }) }),
  z.object({ reboot: z.object({ servers: refs, type: z.enum(['SOFT', 'HARD']) }) }),
]);
const resizeSchema = z.object({
  resize: z.object({
    flavorRef: z.string().min(1),
    dedicated_host_id: z.string().optional(),
    mode: z.literal('withStopServer').optional(),
  }),
});
const resetSchema = z.object({ 'reset-password': z.object({ new_password: z.string() }) });

/** Power actions, resize, password reset and the ECS limits. */
export function registerEcsActionRoutes(app: Hono<SimEnv>, ctx: SimContext): void {
  app.get('/v1/:pid/cloudservers/limits', guard(ctx, 'ecs.limits'), (c) => {
    const used = computeUsage(ctx.store);
    const q = ctx.store.quotas;
    return c.json({
      absolute: {
        maxTotalInstances: q.instances,
        totalInstancesUsed: used.instances,
        maxTotalCores: q.cores,
        totalCoresUsed: used.cores,
        maxTotalRAMSize: q.ramMb,
        totalRAMUsed: used.ramMb,
        maxTotalFloatingIps: q.publicIps,
        totalFloatingIpsUsed: used.publicIps,
        maxSecurityGroups: q.securityGroups,
        totalSecurityGroupsUsed: used.securityGroups,
        maxSecurityGroupRules: q.securityGroupRules,
        maxServerMeta: 10,
        maxTotalKeypairs: 100,
      },
    });
  });

  app.post('/v1/:pid/cloudservers/action', guard(ctx, 'ecs.serverAction'), (c) => {
    const body = readBody(c, actionSchema);
    const [action, spec] =
      'os-stop' in body
        ? (['stop', body['os-stop']] as const)
        : 'os-start' in body
          ? (['start', body['os-start']] as const)
          : (['reboot', body.reboot] as const);
    const servers = [...new Set(spec.servers.map((s) => s.id))].map((id) => serverOr404(ctx, id));
    return c.json({ job_id: beginPower(ctx, action, servers).id });
  });

  const resize = (c: Context<SimEnv>) => {
    const body = readBody(c, resizeSchema);
    const server = serverOr404(ctx, c.req.param('id')!);
    const flavor = ctx.store.catalog.flavors.get(body.resize.flavorRef);
    if (!flavor) throw flavorNotFound(body.resize.flavorRef);
    if (flavor.id === server.flavor) {
      throw new SimHttpError(400, codes.ecsSameFlavor, 'Another flavor must be used for resizing.');
    }
    if (!['ACTIVE', 'SHUTOFF'].includes(server.status) || server.taskState !== null) {
      throw new SimHttpError(
        409,
        codes.ecsState,
        `server ${server.id} is ${server.status}: it can be resized when ACTIVE or SHUTOFF`,
      );
    }
    // "You can modify the ECS specifications only when the ECS is stopped", unless the call asks
    // ECS to stop it first (huawei-cloud.md §5.6; the code for resize is unverified). With
    // withStopServer the running server is stopped, resized and started again (beginResize
    // brings it back to its previous state and reboots its machine).
    if (server.status === 'ACTIVE' && body.resize.mode !== 'withStopServer') {
      throw new SimHttpError(
        400,
        codes.ecsStatusRequirement,
        'The ECS status does not meet requirements. Stop the ECS or set mode to withStopServer.',
      );
    }
    const current = ctx.store.catalog.flavors.get(server.flavor);
    const used = computeUsage(ctx.store);
    const q = ctx.store.quotas;
    if (
      used.cores - (current?.vcpus ?? 0) + flavor.vcpus > q.cores ||
      used.ramMb - (current?.ramMb ?? 0) + flavor.ramMb > q.ramMb
    ) {
      throw new SimHttpError(
        400,
        codes.ecsQuota,
        'Insufficient ECS quota for the new flavor (cores or RAM).',
      );
    }
    return c.json({ job_id: beginResize(ctx, server, flavor.id).id });
  };
  app.post('/v1/:pid/cloudservers/:id/resize', guard(ctx, 'ecs.resize'), resize);
  app.post('/v1.1/:pid/cloudservers/:id/resize', guard(ctx, 'ecs.resize'), resize);

  app.put('/v1/:pid/cloudservers/:id/os-reset-password', guard(ctx, 'ecs.resetPassword'), (c) => {
    const body = readBody(c, resetSchema);
    const server = serverOr404(ctx, c.req.param('id'));
    const problem = passwordProblem(body['reset-password'].new_password);
    if (problem) throw new SimHttpError(400, codes.ecsPassword, problem);
    if (server.status === 'BUILD' || server.taskState === 'deleting') {
      throw new SimHttpError(
        409,
        codes.ecsState,
        `server ${server.id} is ${server.status}: its password cannot be reset now`,
      );
    }
    server.adminPass = body['reset-password'].new_password;
    ctx.hosts.setPassword(server, server.adminPass);
    return c.body(null, 204);
  });
}
