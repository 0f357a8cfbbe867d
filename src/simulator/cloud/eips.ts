import type { Hono } from 'hono';
import type { SimContext, SimEnv } from './context.js';
import { guard } from './guard.js';
import { codes, SimHttpError } from './sim-errors.js';
import type { SimEip } from './store.js';

/** `create_time` as the EIP API writes it: UTC, `yyyy-MM-dd HH:mm:ss`. */
const eipTime = (iso: string) => iso.replace('T', ' ').replace(/(\.\d+)?Z$/, '');

/**
 * The EIP API (VPC v1 `/v1/{pid}/publicips`, huawei-cloud.md §5.4): list (by address or port),
 * show, and an asynchronous DELETE: 204, then PENDING_DELETE until the EIP is gone (GET 404).
 * A bound EIP is refused 409 VPC.0517; a DELETE while one runs is 409 VPC.0512 (busy).
 */
export function registerEipRoutes(app: Hono<SimEnv>, ctx: SimContext): void {
  const { store } = ctx;
  const render = (e: SimEip) => {
    const server = e.serverId ? store.servers.get(e.serverId) : undefined;
    return {
      id: e.id,
      status: e.deleting ? 'PENDING_DELETE' : server ? 'ACTIVE' : 'DOWN',
      type: store.catalog.eipTypes[0] ?? '5_bgp',
      public_ip_address: e.address,
      ...(server ? { port_id: `port-${server.id}`, private_ip_address: server.fixedIp } : {}),
      tenant_id: ctx.credentials.projectId,
      create_time: eipTime(e.createdAt),
      bandwidth_id: `bw-${e.id}`,
      bandwidth_size: e.bandwidthMb,
      bandwidth_share_type: 'PER',
      ip_version: 4,
      enterprise_project_id: '0',
    };
  };
  const eipOr404 = (id: string) => {
    const e = store.eips.get(id);
    if (!e) throw new SimHttpError(404, codes.eipNotFound, `Publicip ${id} does not exist.`);
    return e;
  };

  app.get('/v1/:pid/publicips', guard(ctx, 'vpc.listPublicips'), (c) => {
    const addresses = c.req.queries('public_ip_address') ?? [];
    const ports = c.req.queries('port_id') ?? [];
    const marker = c.req.query('marker');
    const limit = Math.min(2000, Number(c.req.query('limit') ?? 2000) || 2000);
    const all = [...store.eips.values()]
      .map(render)
      .filter((e) => addresses.length === 0 || addresses.includes(e.public_ip_address))
      .filter((e) => ports.length === 0 || (e.port_id !== undefined && ports.includes(e.port_id)))
      .filter((e) => !marker || e.id > marker)
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    return c.json({ publicips: all.slice(0, limit) });
  });

  app.get('/v1/:pid/publicips/:id', guard(ctx, 'vpc.showPublicip'), (c) =>
    c.json({ publicip: render(eipOr404(c.req.param('id'))) }),
  );

  app.delete('/v1/:pid/publicips/:id', guard(ctx, 'vpc.deletePublicip'), (c) => {
    const e = eipOr404(c.req.param('id'));
    if (e.deleting)
      throw new SimHttpError(409, codes.vpcBusy, `Publicip ${e.id} is being deleted.`);
    if (e.serverId && store.servers.has(e.serverId))
      throw new SimHttpError(
        409,
        codes.eipBound,
        `Publicip ${e.id} is still bound to a port: unbind it first.`,
      );
    e.deleting = true;
    ctx.scheduler.at(ctx.clock.now().getTime() + ctx.latency.draw('eipDeleteMs'), () => {
      if (store.eips.get(e.id) !== e) return;
      store.eips.delete(e.id);
      ctx.eipPool.release(e.address);
    });
    return c.body(null, 204);
  });
}
