import type { Hono } from 'hono';
import { z } from 'zod';
import { nowIso, type SimContext, type SimEnv } from './context.js';
import { guard } from './guard.js';
import { readBody } from './http-body.js';
import { parseCidr } from './ipv4.js';
import { codes, SimHttpError } from './sim-errors.js';
import { computeUsage, type SimVpc } from './store.js';
import { checkStarTags } from './vpc-tags.js';

const createSchema = z.object({
  vpc: z.object({
    name: z
      .string()
      .regex(/^[\w.\-\u4e00-\u9fa5]{0,64}$/, 'up to 64 letters, digits, _ . -')
      .optional(),
    cidr: z.string().optional(),
    description: z.string().max(255).optional(),
    enterprise_project_id: z.string().optional(),
    tags: z.array(z.string()).optional(),
  }),
});

const renderVpc = (v: SimVpc) => ({
  id: v.id,
  name: v.name,
  cidr: v.cidr,
  description: v.description,
  status: v.status,
  routes: [],
  enterprise_project_id: v.enterpriseProjectId,
  created_at: v.createdAt,
});

export function vpcOr404(ctx: SimContext, id: string): SimVpc {
  const v = ctx.store.vpcs.get(id);
  if (!v) throw new SimHttpError(404, codes.vpcNotFound, 'VPC does not exist.');
  return v;
}

/** VPC v1 (`/v1/{pid}/vpcs`) and the VPC quotas. */
export function registerVpcRoutes(app: Hono<SimEnv>, ctx: SimContext): void {
  const { store } = ctx;

  app.post('/v1/:pid/vpcs', guard(ctx, 'vpc.createVpc'), (c) => {
    const { vpc } = readBody(c, createSchema);
    const cidr = vpc.cidr ?? '192.168.0.0/16';
    const parsed = parseCidr(cidr);
    const allowed = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map((x) => parseCidr(x)!);
    if (
      !parsed ||
      parsed.prefix > 24 ||
      !allowed.some((a) => parsed.base >= a.base && parsed.base + parsed.size <= a.base + a.size)
    ) {
      throw new SimHttpError(
        400,
        codes.vpcBadParam,
        `Param is invalid: cidr ${cidr} must lie in 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 with a mask of at most /24`,
      );
    }
    const tags = checkStarTags(vpc.tags);
    // Names are unique per account and region (huawei-cloud.md §5.2), deleting ones included.
    const name = vpc.name ?? '';
    if (name && [...store.vpcs.values()].some((v) => v.name === name))
      throw new SimHttpError(400, codes.vpcNameExists, 'The router name exists.');
    if (computeUsage(store).vpcs >= store.quotas.vpcs) {
      throw new SimHttpError(409, codes.vpcQuota, "Quota exceeded for resources: ['router'].");
    }
    const v: SimVpc = {
      id: ctx.uuid(),
      name,
      cidr,
      description: vpc.description ?? '',
      status: 'CREATING',
      tags,
      enterpriseProjectId: vpc.enterprise_project_id ?? '0',
      deleting: false,
      createdAt: nowIso(ctx),
    };
    store.vpcs.set(v.id, v);
    ctx.scheduler.at(ctx.clock.now().getTime() + ctx.latency.draw('vpcCreateMs'), () => {
      v.status = 'OK';
    });
    return c.json({ vpc: renderVpc(v) });
  });

  app.get('/v1/:pid/vpcs', guard(ctx, 'vpc.listVpcs'), (c) => {
    const limit = Math.min(2000, Number(c.req.query('limit') ?? 2000) || 2000);
    const marker = c.req.query('marker');
    const id = c.req.query('id');
    let all = [...store.vpcs.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
    if (id) all = all.filter((v) => v.id === id);
    if (marker) all = all.filter((v) => v.id > marker);
    return c.json({ vpcs: all.slice(0, limit).map(renderVpc) });
  });

  app.get('/v1/:pid/vpcs/:id', guard(ctx, 'vpc.showVpc'), (c) =>
    c.json({ vpc: renderVpc(vpcOr404(ctx, c.req.param('id'))) }),
  );

  app.delete('/v1/:pid/vpcs/:id', guard(ctx, 'vpc.deleteVpc'), (c) => {
    const v = vpcOr404(ctx, c.req.param('id'));
    // Subnets still being deleted count: the VPC waits for them (409 VPC.0104).
    if ([...store.subnets.values()].some((s) => s.vpcId === v.id)) {
      throw new SimHttpError(
        409,
        codes.vpcHasSubnets,
        `VPC ${v.id} still has subnets: delete them first.`,
      );
    }
    // 204 starts the delete; GET shows the VPC until it is gone (a repeated DELETE is accepted).
    if (!v.deleting) {
      v.deleting = true;
      ctx.scheduler.at(ctx.clock.now().getTime() + ctx.latency.draw('vpcDeleteMs'), () => {
        store.vpcs.delete(v.id);
      });
    }
    return c.body(null, 204);
  });

  app.get('/v1/:pid/quotas', guard(ctx, 'vpc.showQuota'), (c) => {
    const used = computeUsage(store);
    const q = store.quotas;
    const resources = [
      { type: 'vpc', used: used.vpcs, quota: q.vpcs, min: 0 },
      { type: 'subnet', used: used.subnets, quota: q.subnets, min: 0 },
      { type: 'securityGroup', used: used.securityGroups, quota: q.securityGroups, min: 0 },
      {
        type: 'securityGroupRule',
        used: used.securityGroupRules,
        quota: q.securityGroupRules,
        min: 0,
      },
      { type: 'publicIp', used: used.publicIps, quota: q.publicIps, min: 0 },
    ];
    const type = c.req.query('type');
    return c.json({
      quotas: { resources: type ? resources.filter((r) => r.type === type) : resources },
    });
  });
}
