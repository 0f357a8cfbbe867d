import type { Hono } from 'hono';
import { z } from 'zod';
import { nowIso, type SimContext, type SimEnv } from './context.js';
import { guard } from './guard.js';
import { readBody } from './http-body.js';
import { cidrContains, cidrInside, cidrOverlaps, ipToInt, parseCidr } from './ipv4.js';
import { codes, SimHttpError } from './sim-errors.js';
import { computeUsage, type SimSubnet } from './store.js';
import { vpcOr404 } from './vpc.js';
import { checkStarTags } from './vpc-tags.js';

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
    dnsList: z.array(z.string()).max(2).optional(),
    tags: z.array(z.string()).optional(),
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
  // Only what was asked for: a subnet created without DNS has none (huawei-cloud.md §5.2).
  primary_dns: s.dns[0] ?? '',
  secondary_dns: s.dns[1] ?? '',
  dnsList: [...s.dns],
  neutron_network_id: s.id,
  neutron_subnet_id: s.id,
  created_at: s.createdAt,
});

const bad = (m: string, code: string = codes.vpcBadParam) =>
  new SimHttpError(400, code, `Param is invalid: ${m}`);

/** The DNS servers asked for: `dnsList`, else primary then secondary; each an IPv4 address. */
function dnsOf(body: { primary_dns?: string; secondary_dns?: string; dnsList?: string[] }) {
  const list = body.dnsList ?? [body.primary_dns, body.secondary_dns].filter((x) => !!x);
  if (body.secondary_dns && !body.primary_dns) throw bad('secondary_dns needs primary_dns');
  for (const ip of list as string[])
    if (ipToInt(ip) === undefined) throw bad(`dns ${ip} is not an IPv4 address`);
  return list as string[];
}

/**
 * VPC v1 subnets: UNKNOWN → ACTIVE; DNS only as asked; delete refused (500 VPC.0209) while ports
 * use them, and asynchronous: after the 204 the subnet lingers for a few seconds, a repeated
 * DELETE answering 400, then GET answers 404.
 */
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
    if (!cidr || cidr.prefix > 28)
      throw bad(`cidr ${subnet.cidr} is not an IPv4 CIDR of at most /28`, codes.subnetBadCidr);
    if (!cidrInside(cidr, parseCidr(vpc.cidr)!))
      throw bad(`cidr ${subnet.cidr} is not inside the VPC's ${vpc.cidr}`, codes.subnetNotInVpc);
    const gw = ipToInt(subnet.gateway_ip);
    // The network address and the last three (system, DHCP, broadcast) are reserved.
    if (
      gw === undefined ||
      !cidrContains(cidr, gw) ||
      gw === cidr.base ||
      gw >= cidr.base + cidr.size - 3
    )
      throw bad(`gateway_ip ${subnet.gateway_ip} is not a usable host address of ${subnet.cidr}`);
    const tags = checkStarTags(subnet.tags);
    const dns = dnsOf(subnet);
    if (subnet.availability_zone && !store.catalog.azs.includes(subnet.availability_zone)) {
      throw bad(`availability_zone ${subnet.availability_zone} does not exist`);
    }
    for (const other of store.subnets.values()) {
      if (other.vpcId === vpc.id && cidrOverlaps(parseCidr(other.cidr)!, cidr)) {
        throw bad(
          `cidr ${subnet.cidr} overlaps subnet ${other.id} (${other.cidr})`,
          codes.subnetOverlaps,
        );
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
      tags,
      dns,
      deleting: false,
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
    // A delete already under way: 400, which the Terraform provider takes as "gone" (§5.4).
    if (s.deleting)
      throw new SimHttpError(400, codes.subnetDeleting, `Subnet ${s.id} is being deleted.`);
    if (s.usedIps.size > 0) {
      // As the real API: 500 while ports (servers, even deleted ones not yet released) use it.
      throw new SimHttpError(
        500,
        codes.subnetInUse,
        `The subnet ${s.id} is used by an ECS or a load balancer (${s.usedIps.size} port(s) in use).`,
      );
    }
    // 204 starts the delete; GET shows the subnet until it is gone.
    s.deleting = true;
    ctx.scheduler.at(ctx.clock.now().getTime() + ctx.latency.draw('subnetDeleteMs'), () => {
      store.subnets.delete(s.id);
    });
    return c.body(null, 204);
  });
}
