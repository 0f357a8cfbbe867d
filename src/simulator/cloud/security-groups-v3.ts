import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { parsePorts } from '../../cloud/port-ranges.js';
import type { SimContext, SimEnv } from './context.js';
import { guard } from './guard.js';
import { readBody } from './http-body.js';
import {
  addRule,
  createGroup,
  deleteGroup,
  deleteRule,
  findRule,
  groupOr404,
  renderRuleV3,
} from './sg-model.js';
import { multiport, ruleCommon } from './sg-schemas.js';
import { codes, SimHttpError } from './sim-errors.js';
import type { SimSecurityGroup } from './store.js';
import { tagList } from './vpc-tags.js';

// Characters are checked by the model (VPC.1801), as the real API does.
const tag = z.object({ key: z.string(), value: z.string() });

const groupSchema = z.object({
  security_group: z.object({
    name: z.string().regex(/^[\w.\-\u4e00-\u9fa5]{1,64}$/, '1-64 letters, digits, _ . -'),
    description: z.string().max(255).optional(),
    enterprise_project_id: z.string().optional(),
    tags: z.array(tag).optional(),
  }),
  dry_run: z.boolean().optional(),
});

const ruleSchema = z.object({
  security_group_rule: z.object({
    ...ruleCommon,
    multiport: multiport.optional(),
    action: z.enum(['allow', 'deny']).optional(),
    priority: z.union([z.number().int().min(1).max(100), z.string().regex(/^\d{1,3}$/)]).optional(),
  }),
  dry_run: z.boolean().optional(),
});

const render = (g: SimSecurityGroup, withRules = false) => ({
  id: g.id,
  name: g.name,
  description: g.description,
  project_id: '',
  created_at: g.createdAt,
  updated_at: g.createdAt,
  enterprise_project_id: g.enterpriseProjectId,
  tags: tagList(g.tags),
  ...(withRules ? { security_group_rules: g.rules.map(renderRuleV3) } : {}),
});

/** Array query parameters arrive repeated (`name=a&name=b`). */
const many = (c: Context<SimEnv>, k: string) => c.req.queries(k) ?? [];

function page<T extends { id: string }>(c: Context<SimEnv>, items: T[]) {
  const limit = Math.min(2000, Number(c.req.query('limit') ?? 2000) || 2000);
  const marker = c.req.query('marker');
  const after = items
    .sort((a, b) => (a.id < b.id ? -1 : 1))
    .filter((x) => !marker || x.id > marker);
  const slice = after.slice(0, limit);
  return {
    slice,
    page_info: {
      previous_marker: slice[0]?.id ?? '',
      current_count: slice.length,
      ...(after.length > limit ? { next_marker: slice[slice.length - 1]!.id } : {}),
    },
  };
}

/** VPC v3 security groups and `multiport` rules. Turned off (404) by `faults.setV3Available(false)`. */
export function registerSecurityGroupV3Routes(app: Hono<SimEnv>, ctx: SimContext): void {
  const { store } = ctx;
  const rid = (c: Context<SimEnv>) => c.get('requestId');

  app.post('/v3/:pid/vpc/security-groups', guard(ctx, 'vpc3.createSecurityGroup'), (c) => {
    const { security_group: sg } = readBody(c, groupSchema);
    const group = createGroup(ctx, {
      name: sg.name,
      description: sg.description,
      tags: Object.fromEntries((sg.tags ?? []).map((t) => [t.key, t.value])),
      via: 'v3',
      enterpriseProjectId: sg.enterprise_project_id,
    });
    return c.json({ request_id: rid(c), security_group: render(group, true) }, 201);
  });

  app.get('/v3/:pid/vpc/security-groups', guard(ctx, 'vpc3.listSecurityGroups'), (c) => {
    const names = many(c, 'name');
    const ids = many(c, 'id');
    const all = [...store.securityGroups.values()]
      .filter((g) => names.length === 0 || names.includes(g.name))
      .filter((g) => ids.length === 0 || ids.includes(g.id));
    const { slice, page_info } = page(c, all);
    return c.json({ request_id: rid(c), security_groups: slice.map((g) => render(g)), page_info });
  });

  app.get('/v3/:pid/vpc/security-groups/:id', guard(ctx, 'vpc3.showSecurityGroup'), (c) =>
    c.json({
      request_id: rid(c),
      security_group: render(groupOr404(ctx, c.req.param('id')), true),
    }),
  );

  app.delete('/v3/:pid/vpc/security-groups/:id', guard(ctx, 'vpc3.deleteSecurityGroup'), (c) => {
    deleteGroup(ctx, c.req.param('id'), 'v3');
    return c.body(null, 204);
  });

  app.post('/v3/:pid/vpc/security-group-rules', guard(ctx, 'vpc3.createSecurityGroupRule'), (c) => {
    const { security_group_rule: r } = readBody(c, ruleSchema);
    const group = groupOr404(ctx, r.security_group_id);
    const protocol = r.protocol ?? null;
    const ranges = r.multiport ? parsePorts(r.multiport) : undefined;
    if (ranges && protocol !== 'tcp' && protocol !== 'udp') {
      throw new SimHttpError(400, codes.vpcBadParam, 'multiport needs protocol tcp or udp');
    }
    const rule = addRule(ctx, group, {
      direction: r.direction,
      ethertype: r.ethertype ?? 'IPv4',
      protocol,
      ranges,
      remoteIpPrefix: r.remote_ip_prefix ?? null,
      remoteGroupId: r.remote_group_id ?? null,
      action: r.action ?? 'allow',
      priority: Number(r.priority ?? 1),
      description: r.description ?? '',
    });
    return c.json({ request_id: rid(c), security_group_rule: renderRuleV3(rule) }, 201);
  });

  app.get('/v3/:pid/vpc/security-group-rules', guard(ctx, 'vpc3.listSecurityGroupRules'), (c) => {
    const groups = many(c, 'security_group_id');
    const rules = [...store.securityGroups.values()]
      .filter((g) => groups.length === 0 || groups.includes(g.id))
      .flatMap((g) => g.rules);
    const { slice, page_info } = page(c, rules);
    return c.json({ request_id: rid(c), security_group_rules: slice.map(renderRuleV3), page_info });
  });

  app.get('/v3/:pid/vpc/security-group-rules/:id', guard(ctx, 'vpc3.showSecurityGroupRule'), (c) =>
    c.json({
      request_id: rid(c),
      security_group_rule: renderRuleV3(findRule(ctx, c.req.param('id')).rule),
    }),
  );

  app.delete(
    '/v3/:pid/vpc/security-group-rules/:id',
    guard(ctx, 'vpc3.deleteSecurityGroupRule'),
    (c) => {
      deleteRule(ctx, c.req.param('id'));
      return c.body(null, 204);
    },
  );
}
