import type { Hono } from 'hono';
import { z } from 'zod';
import { nowIso, type SimContext, type SimEnv } from './context.js';
import { guard } from './guard.js';
import { readBody } from './http-body.js';
import { cidrContains, cidrInside, cidrOverlaps, ipToInt, parseCidr } from './ipv4.js';
import { codes, SimHttpError } from './sim-errors.js';
import { computeUsage, type SimSubnet } from './store.js';
import { vpcOr404 } from './vpc.js';
import { parseStarTags } from './vpc-tags.js';

const createSchema = z.object({
  subnet: z.object({
    name: z.string().regex(/^[\w.\-\u4e00-\u9fa5]{1,64}$/, '1-64 letters, digits, _ . -'),
    cidr: z.string(),
    gateway_ip: z.string(),
    vpc_id: z.string().min(1),
    availability_zone: z.string().optional(),
    description: z.string().max(255).optional(),
    dhcp_enable: z.boolean().optional(),
    primary_dns: z.string().optional(),
    secondary_dns: z.string().optional(),
    tags: z.array(z.string()).max(10).optional(),
  }),
});

const renderSubnet = (s: SimSubnet) => ({
  id: s.id,
  name: s.name,
  description: '',
  cidr: s.cidr,
  gateway_ip: s.gatewayIp,
  vpc_id: s.vpcId,
  availability_zone: s.az,
  status: s.status,
  dhcp_enable: true,
  primary_dns: '100.125.1.250',
  neutron_network_id: s.id,
  neutron_subnet_id: s.id,
  created_at: s.createdAt,
});

const bad = (m: string) => new SimHttpError(400, codes.vpcBadParam, `Param is invalid: ${m}`);

/** VPC v1 subnets: UNKNOWN → ACTIVE; 409 on delete while servers' ports still use them. */
export function registerSubnetRoutes(app: Hono<SimEnv>, ctx: SimContext): void {
  const { store } = ctx;
  const subnetOr404 = (id: string) => {
    const s = store.subnets.get(id);
    if (!s) throw new SimHttpError(404, codes.vpcResourceNotFound, 'Subnet does not exist.');
    return s;
  };

  app.post('/v1/:pid/subnets', guard(ctx, 'vpc.createSubnet'), (c) => {
    const { subnet } = readBody(c, createSchema);
    const vpc = vpcOr404(ctx, subnet.vpc_id);
    if (vpc.status !== 'OK')
      throw new SimHttpError(400, codes.vpcNotActive, 'VPC is not active, please try later.');
    const cidr = parseCidr(subnet.cidr);
    if (!cidr || cidr.prefix > 29)
      throw bad(`cidr ${subnet.cidr} is not an IPv4 CIDR of at most /29`);
    if (!cidrInside(cidr, parseCidr(vpc.cidr)!))
      throw bad(`cidr ${subnet.cidr} is not inside the VPC's ${vpc.cidr}`);
    const gw = ipToInt(subnet.gateway_ip);
    if (gw === undefined || !cidrContains(cidr, gw) || gw === cidr.base)
      throw bad(`gateway_ip ${subnet.gateway_ip} is not a host address of ${subnet.cidr}`);
    if (subnet.availability_zone && !store.catalog.azs.includes(subnet.availability_zone)) {
      throw bad(`availability_zone ${subnet.availability_zone} does not exist`);
    }
    for (const other of store.subnets.values()) {
      if (other.vpcId === vpc.id && cidrOverlaps(parseCidr(other.cidr)!, cidr)) {
        throw bad(`cidr ${subnet.cidr} overlaps subnet ${other.id} (${other.cidr})`);
      }
    }
    if (computeUsage(store).subnets >= store.quotas.subnets) {
      throw new SimHttpError(409, codes.vpcQuota, "Quota exceeded for resources: ['subnet'].");
    }
    const s: SimSubnet = {
      id: ctx.uuid(),
      name: subnet.name,
      cidr: subnet.cidr,
      gatewayIp: subnet.gateway_ip,
      vpcId: vpc.id,
      az: subnet.availability_zone ?? '',
      status: 'UNKNOWN',
      tags: parseStarTags(subnet.tags),
      usedIps: new Set(),
      createdAt: nowIso(ctx),
    };
    store.subnets.set(s.id, s);
    ctx.scheduler.at(ctx.clock.now().getTime() + ctx.latency.draw('subnetCreateMs'), () => {
      s.status = 'ACTIVE';
    });
    return c.json({ subnet: renderSubnet(s) });
  });

  app.get('/v1/:pid/subnets', guard(ctx, 'vpc.listSubnets'), (c) => {
    const vpcId = c.req.query('vpc_id');
    const marker = c.req.query('marker');
    const limit = Math.min(2000, Number(c.req.query('limit') ?? 2000) || 2000);
    const all = [...store.subnets.values()]
      .filter((s) => !vpcId || s.vpcId === vpcId)
      .filter((s) => !marker || s.id > marker)
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    return c.json({ subnets: all.slice(0, limit).map(renderSubnet) });
  });

  app.get('/v1/:pid/subnets/:id', guard(ctx, 'vpc.showSubnet'), (c) =>
    c.json({ subnet: renderSubnet(subnetOr404(c.req.param('id'))) }),
  );

  app.delete('/v1/:pid/vpcs/:vpcId/subnets/:id', guard(ctx, 'vpc.deleteSubnet'), (c) => {
    const s = subnetOr404(c.req.param('id'));
    if (s.vpcId !== c.req.param('vpcId'))
      throw new SimHttpError(404, codes.vpcResourceNotFound, 'Subnet does not exist in this VPC.');
    if (s.usedIps.size > 0) {
      throw new SimHttpError(
        409,
        codes.vpcInUse,
        `Subnet ${s.id} still has ${s.usedIps.size} port(s) in use: delete the servers first.`,
      );
    }
    store.subnets.delete(s.id);
    return c.body(null, 204);
  });
}
