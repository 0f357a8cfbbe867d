import type { Hono } from 'hono';
import { z } from 'zod';
import { tagKeys } from '../../cloud/tags.js';
import type { HostDescription } from '../hosts/simulated-hosts.js';
import type { ApiStats, SimContext, SimEnv } from './context.js';
import { faultSpecSchema, type SimulatorFaults } from './control.js';
import { computeUsage, type Tags } from './store.js';

interface Orphan {
  type: 'server' | 'vpc' | 'subnet' | 'securityGroup' | 'eip' | 'volume';
  id: string;
  name?: string;
  /** instance-not-live: tagged for an instance the caller says is gone; untagged: nothing claims it; detached: an EIP or disk left behind. */
  reason: 'instance-not-live' | 'untagged' | 'detached';
  instanceId?: string;
}

export interface Inventory {
  at: string;
  servers: Array<{
    id: string;
    name: string;
    status: string;
    taskState: string | null;
    flavor: string;
    az: string;
    imageId: string;
    fixedIp: string;
    eip: string | undefined;
    securityGroupIds: string[];
    tags: Tags;
    host: HostDescription | undefined;
  }>;
  vpcs: Array<{ id: string; name: string; cidr: string; status: string; tags: Tags }>;
  subnets: Array<{
    id: string;
    name: string;
    cidr: string;
    vpcId: string;
    status: string;
    tags: Tags;
    portsInUse: number;
  }>;
  securityGroups: Array<{
    id: string;
    name: string;
    tags: Tags;
    createdVia: 'v2' | 'v3';
    rules: number;
  }>;
  eips: Array<{ id: string; address: string; serverId: string | undefined }>;
  volumes: Array<{ id: string; sizeGb: number; serverId: string | undefined }>;
  jobs: { total: number; unfinished: number };
  orphans: Orphan[];
  usage: ReturnType<typeof computeUsage>;
  stats: Record<string, ApiStats>;
}

/**
 * Every resource with its tags, and which ones nothing owns: resources tagged for an instance
 * not in `liveInstanceIds` (when given), resources without the kgd-managed tag, and EIPs or
 * disks no server holds. What a test asserts after cleanup, and what an operator hunts for.
 */
export function inventory(ctx: SimContext, liveInstanceIds?: Iterable<string>): Inventory {
  const { store } = ctx;
  const live = liveInstanceIds ? new Set(liveInstanceIds) : undefined;
  const orphans: Orphan[] = [];
  const judge = (type: Orphan['type'], r: { id: string; name: string; tags: Tags }) => {
    if (r.tags[tagKeys.managed] !== 'true') {
      orphans.push({ type, id: r.id, name: r.name, reason: 'untagged' });
    } else if (live && !live.has(r.tags[tagKeys.instance] ?? '')) {
      orphans.push({
        type,
        id: r.id,
        name: r.name,
        reason: 'instance-not-live',
        instanceId: r.tags[tagKeys.instance],
      });
    }
  };
  const describeHost = (id: string) => {
    try {
      return ctx.hosts.hosts.describe(id);
    } catch {
      return undefined;
    }
  };
  // A DELETED server only answers GET until it is gone: nothing is held or billed.
  const servers = [...store.servers.values()]
    .filter((s) => s.status !== 'DELETED')
    .map((s) => {
      judge('server', s);
      return {
        id: s.id,
        name: s.name,
        status: s.status,
        taskState: s.taskState,
        flavor: s.flavor,
        az: s.az,
        imageId: s.imageId,
        fixedIp: s.fixedIp,
        eip: s.eipId ? store.eips.get(s.eipId)?.address : undefined,
        securityGroupIds: [...s.securityGroupIds],
        tags: { ...s.tags },
        host: s.hostStarted ? describeHost(s.id) : undefined,
      };
    });
  const vpcs = [...store.vpcs.values()].map((v) => {
    judge('vpc', v);
    return { id: v.id, name: v.name, cidr: v.cidr, status: v.status, tags: { ...v.tags } };
  });
  const subnets = [...store.subnets.values()].map((s) => {
    judge('subnet', s);
    return {
      id: s.id,
      name: s.name,
      cidr: s.cidr,
      vpcId: s.vpcId,
      status: s.status,
      tags: { ...s.tags },
      portsInUse: s.usedIps.size,
    };
  });
  const securityGroups = [...store.securityGroups.values()].map((g) => {
    judge('securityGroup', g);
    return {
      id: g.id,
      name: g.name,
      tags: { ...g.tags },
      createdVia: g.createdVia,
      rules: g.rules.length,
    };
  });
  const eips = [...store.eips.values()].map((e) => {
    if (!e.serverId) orphans.push({ type: 'eip', id: e.id, name: e.address, reason: 'detached' });
    return { id: e.id, address: e.address, serverId: e.serverId };
  });
  const volumes = [...store.volumes.values()].map((v) => {
    if (!v.serverId) orphans.push({ type: 'volume', id: v.id, reason: 'detached' });
    return { id: v.id, sizeGb: v.sizeGb, serverId: v.serverId };
  });
  const jobs = [...store.jobs.values()];
  return {
    at: ctx.clock.now().toISOString(),
    servers,
    vpcs,
    subnets,
    securityGroups,
    eips,
    volumes,
    jobs: {
      total: jobs.length,
      unfinished: jobs.filter((j) => j.status === 'INIT' || j.status === 'RUNNING').length,
    },
    orphans,
    usage: computeUsage(store),
    stats: Object.fromEntries(
      [...ctx.stats].map(([k, v]) => [k, { ...v, refusals: { ...v.refusals } }]),
    ),
  };
}

export interface InspectionDeps {
  ctx: SimContext;
  faults: SimulatorFaults;
  reset(): Promise<void>;
  registerImage(image: { id: string; name: string; filesDir?: string; minDiskGb?: number }): void;
  registerKeypair(name: string, publicKey: string): void;
}

const imageSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'expected an image id (letters, digits, -)'),
  name: z.string().min(1).max(128),
  filesDir: z.string().min(1).optional(),
  minDiskGb: z.number().int().min(1).max(1024).optional(),
});
const keypairSchema = z.object({
  name: z.string().regex(/^[\w.-]{1,64}$/),
  publicKey: z.string().regex(/^(ssh-|ecdsa-)/, 'expected an OpenSSH public key'),
});

/** The control and inspection API under /sim/ (JSON, unauthenticated: bind the simulator to loopback). */
export function registerInspectionRoutes(app: Hono<SimEnv>, deps: InspectionDeps): void {
  const { ctx } = deps;
  const invalid = (err: z.ZodError) => ({
    error: err.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
  });
  const json = async (req: Request) => {
    try {
      return await req.json();
    } catch {
      return undefined;
    }
  };

  app.get('/sim/inventory', (c) => {
    const live = c.req.query('live');
    return c.json(inventory(ctx, live === undefined ? undefined : live.split(',').filter(Boolean)));
  });
  app.get('/sim/faults', (c) => c.json(deps.faults.snapshot()));
  app.post('/sim/faults', async (c) => {
    const body = await json(c.req.raw);
    const parsed = faultSpecSchema.safeParse(body);
    if (!parsed.success) return c.json(invalid(parsed.error), 400);
    deps.faults.apply(parsed.data);
    return c.json(deps.faults.snapshot());
  });
  app.delete('/sim/faults', (c) => {
    deps.faults.clear();
    return c.json(deps.faults.snapshot());
  });
  app.post('/sim/reset', async (c) => {
    await deps.reset();
    return c.json({ ok: true });
  });
  app.post('/sim/images', async (c) => {
    const parsed = imageSchema.safeParse(await json(c.req.raw));
    if (!parsed.success) return c.json(invalid(parsed.error), 400);
    deps.registerImage(parsed.data);
    return c.json({ ok: true, id: parsed.data.id }, 201);
  });
  app.post('/sim/keypairs', async (c) => {
    const parsed = keypairSchema.safeParse(await json(c.req.raw));
    if (!parsed.success) return c.json(invalid(parsed.error), 400);
    deps.registerKeypair(parsed.data.name, parsed.data.publicKey);
    return c.json({ ok: true, name: parsed.data.name }, 201);
  });
}
