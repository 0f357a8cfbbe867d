import type { Hono } from 'hono';
import { z } from 'zod';
import type { SimContext, SimEnv } from './context.js';
import { guard } from './guard.js';
import { readBody } from './http-body.js';
import { codes, SimHttpError } from './sim-errors.js';
import type { Tags } from './store.js';
import { checkTagCount, checkVpcTag, tagList } from './vpc-tags.js';

type Kind = 'vpcs' | 'subnets' | 'security-groups';
const kinds: Kind[] = ['vpcs', 'subnets', 'security-groups'];
const apiName = { vpcs: 'Vpc', subnets: 'Subnet', 'security-groups': 'SecurityGroup' } as const;

const filterSchema = z.object({
  action: z.enum(['filter', 'count']),
  tags: z
    .array(z.object({ key: z.string().min(1), values: z.array(z.string()) }))
    .max(10)
    .optional(),
  matches: z
    .array(z.object({ key: z.literal('resource_name'), value: z.string() }))
    .max(1)
    .optional(),
  limit: z.number().int().min(1).max(1000).optional(),
  offset: z.number().int().min(0).optional(),
});

// Characters and counts are checked against the VPC tag rules (VPC.1801), as the real API does.
const tagActionSchema = z.object({
  action: z.enum(['create', 'delete']),
  tags: z.array(z.object({ key: z.string(), value: z.string().optional() })).min(1),
});

/**
 * The VPC v2.0 tag APIs for VPCs, subnets and security groups: query by tags
 * (`resource_instances/action`: keys ANDed, a key's values ORed, an empty value list = key
 * present; `resource_name` matched as a substring) and batch create / delete tags.
 */
export function registerResourceTagRoutes(app: Hono<SimEnv>, ctx: SimContext): void {
  const table = (kind: Kind) =>
    (kind === 'vpcs'
      ? ctx.store.vpcs
      : kind === 'subnets'
        ? ctx.store.subnets
        : ctx.store.securityGroups) as Map<string, { id: string; name: string; tags: Tags }>;

  for (const kind of kinds) {
    app.post(
      `/v2.0/:pid/${kind}/resource_instances/action`,
      guard(ctx, `vpc.list${apiName[kind]}sByTags`),
      (c) => {
        const body = readBody(c, filterSchema);
        const name = body.matches?.[0]?.value;
        const hits = [...table(kind).values()]
          .filter((r) =>
            (body.tags ?? []).every(
              (t) =>
                t.key in r.tags && (t.values.length === 0 || t.values.includes(r.tags[t.key]!)),
            ),
          )
          .filter((r) => name === undefined || r.name.includes(name))
          .sort((a, b) => (a.id < b.id ? -1 : 1));
        if (body.action === 'count') return c.json({ total_count: hits.length });
        const offset = body.offset ?? 0;
        const resources = hits.slice(offset, offset + (body.limit ?? 1000)).map((r) => ({
          resource_id: r.id,
          resource_name: r.name,
          resource_detail: '',
          tags: tagList(r.tags),
        }));
        return c.json({ resources, total_count: hits.length });
      },
    );

    app.post(
      `/v2.0/:pid/${kind}/:id/tags/action`,
      guard(ctx, `vpc.batch${apiName[kind]}Tags`),
      (c) => {
        const body = readBody(c, tagActionSchema);
        const r = table(kind).get(c.req.param('id'));
        if (!r)
          throw new SimHttpError(
            404,
            kind === 'vpcs' ? codes.vpcNotFound : codes.vpcResourceNotFound,
            `${kind} ${c.req.param('id')} does not exist.`,
          );
        const next = { ...r.tags };
        for (const t of body.tags) {
          if (body.action === 'create') {
            checkVpcTag(t.key, t.value ?? '');
            next[t.key] = t.value ?? '';
          } else delete next[t.key];
        }
        checkTagCount(next);
        r.tags = next;
        return c.body(null, 204);
      },
    );

    app.get(`/v2.0/:pid/${kind}/:id/tags`, guard(ctx, `vpc.show${apiName[kind]}Tags`), (c) => {
      const r = table(kind).get(c.req.param('id'));
      if (!r)
        throw new SimHttpError(
          404,
          codes.vpcResourceNotFound,
          `${kind} ${c.req.param('id')} does not exist.`,
        );
      return c.json({ tags: tagList(r.tags) });
    });
  }
}
