import { createHash } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { nowIso, type SimContext, type SimEnv } from './context.js';
import { beginCreate } from './ecs-lifecycle.js';
import type { CreateCapacityCode } from './faults.js';
import { guard } from './guard.js';
import { readBody, stableStringify } from './http-body.js';
import { intToIp, ipToInt, parseCidr } from './ipv4.js';
import { passwordProblem } from './passwords.js';
import { codes, SimHttpError } from './sim-errors.js';
import { computeUsage, type SimServer, type SimSubnet } from './store.js';

/** ECS keeps a client token, and its answer, for 8 hours (huawei-cloud.md §3). */
const tokenLifetimeMs = 8 * 3_600_000;
const uuidRe = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const serverSchema = z.object({
  name: z.string().regex(/^[\w.\-\u4e00-\u9fa5]{1,64}$/, '1-64 letters, digits, _ . -'),
  imageRef: z.string().min(1),
  flavorRef: z.string().min(1),
  vpcid: z.string().min(1),
  nics: z
    .array(z.object({ subnet_id: z.string().min(1), ip_address: z.string().optional() }))
    .min(1)
    .max(12),
  root_volume: z.object({
    volumetype: z.enum(['SATA', 'SAS', 'SSD', 'GPSSD', 'ESSD', 'GPSSD2', 'ESSD2']),
    size: z.number().int().min(1).max(1024).optional(),
  }),
  security_groups: z
    .array(z.object({ id: z.string().min(1) }))
    .max(10)
    .optional(),
  availability_zone: z.string().min(1).optional(),
  adminPass: z.string().optional(),
  key_name: z.string().min(1).optional(),
  user_data: z.string().max(43_700).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  // Counts and characters are checked below with the real codes (Ecs.0905-0908).
  server_tags: z.array(z.object({ key: z.string(), value: z.string() })).optional(),
  description: z.string().optional(),
  count: z.number().int().min(1).max(500).optional(),
  publicip: z
    .object({
      id: z.string().optional(),
      eip: z
        .object({
          iptype: z.string().min(1),
          bandwidth: z.object({
            size: z.number().int().min(1).max(2000).optional(),
            sharetype: z.enum(['PER', 'WHOLE']),
            chargemode: z.string().optional(),
          }),
        })
        .optional(),
      delete_on_termination: z.boolean().optional(),
    })
    .optional(),
  extendparam: z
    .object({
      chargingMode: z.union([z.string(), z.number()]).optional(),
      enterprise_project_id: z.string().optional(),
      isAutoPay: z.union([z.string(), z.boolean()]).optional(),
    })
    .loose()
    .optional(),
});

const bodySchema = z.object({ server: serverSchema, dry_run: z.boolean().optional() });
type ServerBody = z.output<typeof serverSchema>;

const bad = (message: string) => new SimHttpError(400, codes.ecsBadParam, message);

/** An unknown flavor, as ECS answers it at create and at resize (ecs_07_0002: Ecs.0029). */
export const flavorNotFound = (flavor: string) =>
  new SimHttpError(400, codes.ecsFlavorNotFound, `Flavor [${flavor}] does not exist.`);

/** A create refused in its answer for lack of capacity, with the code and message ECS uses. */
function capacityRefusal(
  ctx: SimContext,
  code: CreateCapacityCode | undefined,
  s: ServerBody,
  az: string,
) {
  const chosen =
    code ?? (['Ecs.0018', 'Ecs.0319', 'Ecs.0044'] as const)[Math.floor(ctx.random() * 3)]!;
  switch (chosen) {
    case 'Ecs.0018':
      return new SimHttpError(400, codes.ecsFlavorSoldOut, `Flavor ${s.flavorRef} is sold out.`);
    case 'Ecs.0019':
      return new SimHttpError(400, codes.ecsFlavorAbandoned, `Flavor ${s.flavorRef} is abandoned`);
    case 'Ecs.0044':
      return new SimHttpError(
        400,
        codes.ecsDiskSoldOut,
        `Disk type [${s.root_volume.volumetype}] has been sold out in AZ [${az}].`,
      );
    default:
      return new SimHttpError(400, codes.ecsSoldOut, 'Check capacity: Capacity is not enough.');
  }
}

/** ECS tag characters refused (tr-aos datatypes-ecs-servertags, huawei-cloud.md §5.7). */
const tagForbidden = /[\x00-\x1f=*<>\\,|/]/;

/** `server_tags`: at most 10, key 1-36 and value 0-43 characters, none forbidden, keys unique. */
function checkServerTags(tags: Array<{ key: string; value: string }>): void {
  if (tags.length > 10)
    throw new SimHttpError(
      400,
      codes.ecsTooManyTags,
      'The number of tags exceeds the limit of 10.',
    );
  const seen = new Set<string>();
  for (const t of tags) {
    if (t.key.length < 1 || t.key.length > 36 || tagForbidden.test(t.key))
      throw new SimHttpError(400, codes.ecsBadTagKey, `Invalid tag key: ${JSON.stringify(t.key)}.`);
    if (t.value.length > 43 || tagForbidden.test(t.value))
      throw new SimHttpError(
        400,
        codes.ecsBadTagChars,
        `Invalid tag value for key ${t.key}: ${JSON.stringify(t.value)}.`,
      );
    if (seen.has(t.key))
      throw new SimHttpError(400, codes.ecsDuplicateTag, `Duplicate tag key: ${t.key}.`);
    seen.add(t.key);
  }
}

function validateAgainstState(ctx: SimContext, s: ServerBody) {
  const { store } = ctx;
  checkServerTags(s.server_tags ?? []);
  if (s.description !== undefined && (s.description.length > 85 || /[<>]/.test(s.description)))
    throw new SimHttpError(
      400,
      codes.ecsBadDescription,
      'The description is longer than 85 characters or contains < or >.',
    );
  const iptype = s.publicip?.eip?.iptype;
  if (iptype !== undefined && !store.catalog.eipTypes.includes(iptype))
    throw new SimHttpError(
      400,
      codes.eipTypeUnavailable,
      `The EIP type ${iptype} is not available in region ${store.catalog.region}.`,
    );
  const image = store.catalog.images.get(s.imageRef);
  if (!image) throw bad(`image [${s.imageRef}] not found`);
  const flavor = store.catalog.flavors.get(s.flavorRef);
  if (!flavor) throw flavorNotFound(s.flavorRef);
  const vpc = store.vpcs.get(s.vpcid);
  if (vpc?.status !== 'OK') throw bad(`vpc [${s.vpcid}] not found or not ready`);
  const subnet = store.subnets.get(s.nics[0]!.subnet_id);
  if (!subnet || subnet.vpcId !== vpc.id)
    throw bad(`subnet [${s.nics[0]!.subnet_id}] is not in vpc [${vpc.id}]`);
  if (subnet.status !== 'ACTIVE') throw bad(`subnet [${subnet.id}] is not ACTIVE yet`);
  for (const g of s.security_groups ?? []) {
    if (!store.securityGroups.has(g.id)) throw bad(`security group [${g.id}] not found`);
  }
  if (s.availability_zone && !store.catalog.azs.includes(s.availability_zone)) {
    throw bad(`availability_zone=${s.availability_zone} not exist`);
  }
  const size = s.root_volume.size ?? image.minDiskGb;
  if (size < image.minDiskGb)
    throw bad(`root_volume.size ${size} is below the image's minimum ${image.minDiskGb} GB`);
  if (s.key_name && !store.keypairs.has(s.key_name)) throw bad(`keypair [${s.key_name}] not found`);
  if (s.adminPass !== undefined) {
    const problem = passwordProblem(s.adminPass);
    if (problem) throw new SimHttpError(400, codes.ecsPassword, problem);
  }
  let userData: string | undefined;
  if (s.user_data !== undefined) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s.user_data)) throw bad('user_data must be base64');
    userData = Buffer.from(s.user_data, 'base64').toString('utf8');
  }
  const count = s.count ?? 1;
  const usage = computeUsage(store);
  const q = store.quotas;
  if (
    usage.instances + count > q.instances ||
    usage.cores + count * flavor.vcpus > q.cores ||
    usage.ramMb + count * flavor.ramMb > q.ramMb
  ) {
    throw new SimHttpError(
      400,
      codes.ecsQuota,
      'Insufficient ECS quota. Contact customer service to increase quota. the number of instance above quota limits',
    );
  }
  let existingEip: string | undefined;
  if (s.publicip?.id) {
    const eip = store.eips.get(s.publicip.id);
    if (!eip || eip.serverId) throw bad(`publicip [${s.publicip.id}] not found or already bound`);
    if (count > 1) throw bad('An existing EIP cannot be assigned to the ECSs created in batches.');
    existingEip = eip.id;
  } else if (s.publicip?.eip && usage.publicIps + count > q.publicIps) {
    throw new SimHttpError(400, codes.ecsEipQuota, 'Insufficient EIP quota.');
  }
  return { image, flavor, vpc, subnet, size, userData, count, existingEip };
}

function allocateIp(subnet: SimSubnet): string | undefined {
  const cidr = parseCidr(subnet.cidr)!;
  const gateway = ipToInt(subnet.gatewayIp);
  // The network address, the gateway and the last three (system, DHCP, broadcast) are reserved.
  for (let n = cidr.base + 1; n < cidr.base + cidr.size - 3; n++) {
    const ip = intToIp(n);
    if (n !== gateway && !subnet.usedIps.has(ip)) return ip;
  }
  return undefined;
}

function createServers(ctx: SimContext, s: ServerBody) {
  const v = validateAgainstState(ctx, s);
  const { store } = ctx;
  const az =
    s.availability_zone ??
    v.flavor.azs[Math.floor(ctx.random() * v.flavor.azs.length)] ??
    store.catalog.azs[0]!;
  const soldOut = ctx.faults.soldOutFor(az, v.flavor.id);
  if (soldOut?.in === 'create') {
    // Refused in the answer: nothing is created (huawei-cloud.md §5.1). Which code ECS uses for
    // a given shortage is not documented; all are seen.
    throw capacityRefusal(ctx, soldOut.code, s, az);
  }
  const servers: SimServer[] = [];
  const allocatedIps: string[] = [];
  for (let i = 0; i < v.count; i++) {
    const fixedIp = allocateIp(v.subnet);
    if (!fixedIp) {
      for (const ip of allocatedIps) v.subnet.usedIps.delete(ip);
      throw new SimHttpError(
        400,
        codes.ecsSubnetFull,
        'The subnet does not contain enough IP addresses. Release some IP addresses or select another subnet.',
      );
    }
    v.subnet.usedIps.add(fixedIp);
    allocatedIps.push(fixedIp);
  }
  const addresses: string[] = [];
  if (!v.existingEip && s.publicip?.eip) {
    for (let i = 0; i < v.count; i++) {
      const address = ctx.eipPool.allocate();
      if (!address) {
        for (const a of addresses) ctx.eipPool.release(a);
        for (const ip of allocatedIps) v.subnet.usedIps.delete(ip);
        throw new SimHttpError(
          400,
          codes.ecsEipQuota,
          'Insufficient EIP quota: the EIP pool is exhausted.',
        );
      }
      addresses.push(address);
    }
  }
  const now = nowIso(ctx);
  for (const [i, fixedIp] of allocatedIps.entries()) {
    const id = ctx.uuid();
    let eipId = v.existingEip;
    const address = addresses[i];
    if (address && s.publicip?.eip) {
      eipId = ctx.uuid();
      store.eips.set(eipId, {
        id: eipId,
        address,
        bandwidthMb: s.publicip.eip.bandwidth.size ?? 1,
        serverId: id,
        createdAt: now,
      });
    } else if (eipId) {
      store.eips.get(eipId)!.serverId = id;
    }
    const rootVolumeId = ctx.uuid();
    store.volumes.set(rootVolumeId, {
      id: rootVolumeId,
      type: s.root_volume.volumetype,
      sizeGb: v.size,
      serverId: id,
      createdAt: now,
    });
    const server: SimServer = {
      id,
      name: s.name,
      status: 'BUILD',
      taskState: 'spawning',
      flavor: v.flavor.id,
      imageId: v.image.id,
      az,
      vpcId: v.vpc.id,
      subnetId: v.subnet.id,
      fixedIp,
      eipId,
      securityGroupIds: (s.security_groups ?? []).map((g) => g.id),
      tags: Object.fromEntries((s.server_tags ?? []).map((t) => [t.key, t.value])),
      metadata: {
        ...(s.metadata ?? {}),
        ...(s.extendparam?.enterprise_project_id
          ? { enterprise_project_id: s.extendparam.enterprise_project_id }
          : {}),
      },
      description: s.description ?? '',
      adminPass: s.adminPass,
      keyName: s.key_name,
      userData: v.userData,
      rootVolumeId,
      createdAt: now,
      updatedAt: now,
      fault: undefined,
      hostStarted: false,
    };
    store.servers.set(id, server);
    servers.push(server);
  }
  return { servers, capacity: soldOut?.in === 'job' ? soldOut : undefined };
}

export function registerEcsCreateRoutes(app: Hono<SimEnv>, ctx: SimContext): void {
  const handler = (version: 'v1' | 'v1.1') => (c: Context<SimEnv>) => {
    const body = readBody(c, bodySchema);
    const token = c.req.header('x-client-token');
    const now = ctx.clock.now().getTime();
    const bodyHash = createHash('sha256').update(stableStringify(body)).digest('hex');
    if (token !== undefined) {
      if (!uuidRe.test(token))
        throw new SimHttpError(400, codes.ecsTokenFormat, 'X-Client-Token must be a UUID.');
      const seen = ctx.store.clientTokens.get(token);
      if (seen) {
        if (now - seen.at > tokenLifetimeMs)
          throw new SimHttpError(400, codes.ecsTokenExpired, 'X-Client-Token has expired.');
        if (seen.bodyHash !== bodyHash) {
          throw new SimHttpError(
            400,
            codes.ecsTokenBody,
            'X-Client-Token was already used with a different request body.',
          );
        }
        return c.json(seen.answer);
      }
    }
    if (body.dry_run) {
      validateAgainstState(ctx, body.server);
      return c.body(null, 202);
    }
    const { servers, capacity } = createServers(ctx, body.server);
    const job = beginCreate(ctx, servers, capacity);
    const answer = { job_id: job.id, serverIds: servers.map((s) => s.id) };
    if (token !== undefined) ctx.store.clientTokens.set(token, { bodyHash, at: now, answer });
    const prePaid =
      version === 'v1.1' && String(body.server.extendparam?.chargingMode ?? '') === 'prePaid';
    return c.json(
      prePaid ? { ...answer, order_id: `CS${job.id.slice(0, 18).toUpperCase()}` } : answer,
    );
  };
  app.post('/v1/:pid/cloudservers', guard(ctx, 'ecs.createServers'), handler('v1'));
  app.post('/v1.1/:pid/cloudservers', guard(ctx, 'ecs.createServers'), handler('v1.1'));
}
