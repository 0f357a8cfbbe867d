import type { Hono } from 'hono';
import { z } from 'zod';
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
  renderRuleV2,
} from './sg-model.js';
import { ruleCommon } from './sg-schemas.js';
import { codes, SimHttpError } from './sim-errors.js';
import type { SimSecurityGroup } from './store.js';

const groupSchema = z.object({
  security_group: z.object({
    name: z.string().regex(/^[\w.\-\u4e00-\u9fa5]{1,64}$/, '1-64 letters, digits, _ . -'),
    vpc_id: z.string().optional(),
    enterprise_project_id: z.string().optional(),
  }),
});

const ruleSchema = z.object({
  security_group_rule: z
    .object({
      ...ruleCommon,
      port_range_min: z.number().int().min(1).max(65535).nullable().optional(),
      port_range_max: z.number().int().min(1).max(65535).nullable().optional(),
    })
    .refine((r) => (r.port_range_min ?? 0) <= (r.port_range_max ?? r.port_range_min ?? 0), {
      message: 'port_range_min must not exceed port_range_max',
    }),
});

const render = (g: SimSecurityGroup) => ({
  id: g.id,
  name: g.name,
  description: g.description,
  vpc_id: '',
  enterprise_project_id: g.enterpriseProjectId,
  security_group_rules: g.rules.map(renderRuleV2),
});

/** VPC v1-style security groups (`/v1/{pid}/security-groups`): no tags in the body, one range per rule. */
export function registerSecurityGroupV2Routes(app: Hono<SimEnv>, ctx: SimContext): void {
  const { store } = ctx;

  app.post('/v1/:pid/security-groups', guard(ctx, 'vpc.createSecurityGroup'), (c) => {
    const { security_group: sg } = readBody(c, groupSchema);
    const group = createGroup(ctx, {
      name: sg.name,
      tags: {},
      via: 'v2',
      enterpriseProjectId: sg.enterprise_project_id,
    });
    return c.json({ security_group: render(group) });
  });

  app.get('/v1/:pid/security-groups', guard(ctx, 'vpc.listSecurityGroups'), (c) => {
    const marker = c.req.query('marker');
    const limit = Math.min(2000, Number(c.req.query('limit') ?? 2000) || 2000);
    const all = [...store.securityGroups.values()]
      .filter((g) => !marker || g.id > marker)
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    return c.json({ security_groups: all.slice(0, limit).map(render) });
  });

  app.get('/v1/:pid/security-groups/:id', guard(ctx, 'vpc.showSecurityGroup'), (c) =>
    c.json({ security_group: render(groupOr404(ctx, c.req.param('id'))) }),
  );

  app.delete('/v1/:pid/security-groups/:id', guard(ctx, 'vpc.deleteSecurityGroup'), (c) => {
    deleteGroup(ctx, c.req.param('id'), 'v2');
    return c.body(null, 204);
  });

  app.post('/v1/:pid/security-group-rules', guard(ctx, 'vpc.createSecurityGroupRule'), (c) => {
    const { security_group_rule: r } = readBody(c, ruleSchema);
    const group = groupOr404(ctx, r.security_group_id);
    const protocol = r.protocol ?? null;
    if (r.port_range_min != null && protocol !== 'tcp' && protocol !== 'udp') {
      throw new SimHttpError(
        400,
        codes.vpcBadParam,
        'Param is invalid: ports need protocol tcp or udp',
      );
    }
    const rule = addRule(ctx, group, {
      direction: r.direction,
      ethertype: r.ethertype ?? 'IPv4',
      protocol,
      ranges:
        r.port_range_min != null
          ? [{ min: r.port_range_min, max: r.port_range_max ?? r.port_range_min }]
          : undefined,
      remoteIpPrefix: r.remote_ip_prefix ?? null,
      remoteGroupId: r.remote_group_id ?? null,
      action: 'allow',
      priority: 1,
      description: r.description ?? '',
    });
    return c.json({ security_group_rule: renderRuleV2(rule) });
  });

  app.get('/v1/:pid/security-group-rules', guard(ctx, 'vpc.listSecurityGroupRules'), (c) => {
    const groupId = c.req.query('security_group_id');
    const rules = [...store.securityGroups.values()]
      .filter((g) => !groupId || g.id === groupId)
      .flatMap((g) => g.rules);
    return c.json({ security_group_rules: rules.map(renderRuleV2) });
  });

  app.get('/v1/:pid/security-group-rules/:id', guard(ctx, 'vpc.showSecurityGroupRule'), (c) =>
    c.json({ security_group_rule: renderRuleV2(findRule(ctx, c.req.param('id')).rule) }),
  );

  app.delete(
    '/v1/:pid/security-group-rules/:id',
    guard(ctx, 'vpc.deleteSecurityGroupRule'),
    (c) => {
      deleteRule(ctx, c.req.param('id'));
      return c.body(null, 204);
    },
  );
}
