import type { Hono } from 'hono';
import { z } from 'zod';
import type { SimContext, SimEnv } from './context.js';
import { beginDelete } from './ecs-lifecycle.js';
import { renderServer } from './ecs-render.js';
import { guard } from './guard.js';
import { readBody } from './http-body.js';
import { codes, SimHttpError } from './sim-errors.js';
import type { SimServer } from './store.js';

/** A server that can be acted on; a DELETED one (still answering GET for a while) cannot. */
export function serverOr404(ctx: SimContext, id: string): SimServer {
  const s = ctx.store.servers.get(id);
  if (!s || s.status === 'DELETED')
    throw new SimHttpError(404, codes.ecsNotFound, `Instance[${id}] could not be found.`);
  return s;
}

const deleteSchema = z.object({
  servers: z
    .array(z.object({ id: z.string().min(1) }))
    .min(1)
    .max(1000),
  delete_publicip: z.boolean().optional(),
  delete_volume: z.boolean().optional(),
});

/** `tags=k=v,k2=v2`: every pair must be on the server. */
function parseTagFilter(value: string | undefined): Array<[string, string]> {
  if (!value) return [];
  return value.split(',').map((pair) => {
    const i = pair.indexOf('=');
    return i < 0 ? [pair, ''] : [pair.slice(0, i), pair.slice(i + 1)];
  });
}

export function registerEcsServerRoutes(app: Hono<SimEnv>, ctx: SimContext): void {
  // Static segments before /:id, which would otherwise match "detail".
  app.get('/v1/:pid/cloudservers/detail', guard(ctx, 'ecs.listServers'), (c) => {
    const q = (k: string) => c.req.query(k);
    const limit = Math.min(1000, Math.max(1, Number(q('limit') ?? 25) || 25));
    // ECS pages by number: offset=1 is the first page.
    const page = Math.max(1, Number(q('offset') ?? 1) || 1);
    const tags = parseTagFilter(q('tags'));
    const notTags = parseTagFilter(q('not-tags'));
    const name = q('name');
    const matching = [...ctx.store.servers.values()]
      .filter((s) => !name || s.name.includes(name))
      .filter((s) => !q('flavor') || s.flavor === q('flavor'))
      .filter((s) => !q('status') || s.status === q('status'))
      .filter((s) => !q('ip') || s.fixedIp.includes(q('ip')!))
      .filter((s) => tags.every(([k, v]) => s.tags[k] === v))
      .filter((s) => notTags.every(([k, v]) => s.tags[k] !== v))
      .sort((a, b) =>
        a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? -1 : 1,
      );
    const servers = matching
      .slice((page - 1) * limit, page * limit)
      .map((s) => renderServer(ctx, s));
    return c.json({ count: matching.length, servers });
  });

  app.post('/v1/:pid/cloudservers/delete', guard(ctx, 'ecs.deleteServers'), (c) => {
    const body = readBody(c, deleteSchema);
    const servers = [...new Set(body.servers.map((s) => s.id))].map((id) => serverOr404(ctx, id));
    const job = beginDelete(ctx, servers, {
      deletePublicIp: body.delete_publicip ?? false,
      deleteVolume: body.delete_volume ?? false,
    });
    return c.json({ job_id: job.id });
  });

  app.get('/v1/:pid/cloudservers/:id', guard(ctx, 'ecs.showServer'), (c) => {
    const id = c.req.param('id');
    const s = ctx.store.servers.get(id);
    if (!s) throw new SimHttpError(404, codes.ecsNotFound, `Instance[${id}] could not be found.`);
    return c.json({ server: renderServer(ctx, s) });
  });
}
