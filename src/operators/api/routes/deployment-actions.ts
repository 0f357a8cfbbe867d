import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { RerunRequest } from '../../../deployments/model/overrides.js';
import type { OperatorService } from '../../actions/operator-service.js';
import type { AdminEnv } from '../auth.js';
import { errorResponses, guard, type RouteDeps } from '../define-route.js';
import { IdParam } from './deployments.js';

const Reason = z
  .string()
  .min(1, 'required')
  .max(500)
  .meta({ description: 'why (kept in the audit log)', example: 'sold out: larger flavor' });

/** The one rerun schema (deployments/model/overrides.ts), as the API documents it. */
const RerunBody = RerunRequest.extend({ reason: Reason }).meta({ id: 'RerunRequest' });

const ReasonBody = z.object({ reason: Reason }).meta({ id: 'ReasonRequest' });

const Accepted = z
  .object({
    operationId: z.string(),
    from: z.string().optional().meta({ description: 'the step it reruns from' }),
    overrides: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'ActionAccepted' });

const ok = {
  202: {
    description: 'accepted: follow the operation',
    content: { 'application/json': { schema: Accepted } },
  },
  ...errorResponses,
};
const json = <T extends z.ZodType>(schema: T) => ({
  content: { 'application/json': { schema } },
  required: true,
});

/**
 * `POST /admin/deployments/{id}/rerun | cancel | retry-cleanup | release` (scope operate): the
 * audited operator actions; the token's name is the actor.
 */
export function registerDeploymentActionRoutes(
  app: OpenAPIHono<AdminEnv>,
  deps: RouteDeps & { service: OperatorService },
): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/deployments/{id}/rerun',
      tags: ['actions'],
      summary:
        'Rerun a failed operation from its failed step (or `from`), optionally with edited inputs',
      ...guard(deps, 'operate'),
      request: { params: IdParam, body: json(RerunBody) },
      responses: ok,
    }),
    async (c) => {
      const { reason, from, ...overrides } = c.req.valid('json');
      const r = await deps.service.rerun(c.req.valid('param').id, {
        reason,
        from,
        overrides,
        actor: c.var.operator.name,
      });
      return c.json(
        {
          operationId: r.operationId,
          from: r.from,
          overrides: r.overrides as Record<string, unknown>,
        },
        202,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/deployments/{id}/cancel',
      tags: ['actions'],
      summary: 'Ask a pending or running operation to stop at its next step',
      ...guard(deps, 'operate'),
      request: { params: IdParam, body: json(ReasonBody) },
      responses: ok,
    }),
    async (c) => {
      const r = await deps.service.cancel(c.req.valid('param').id, {
        reason: c.req.valid('json').reason,
        actor: c.var.operator.name,
      });
      return c.json({ operationId: r.operationId }, 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/deployments/{id}/retry-cleanup',
      tags: ['actions'],
      summary: 'Rerun the cleanup of an operation whose cleanup failed',
      ...guard(deps, 'operate'),
      request: { params: IdParam, body: json(ReasonBody) },
      responses: ok,
    }),
    async (c) => {
      const r = await deps.service.retryCleanup(c.req.valid('param').id, {
        reason: c.req.valid('json').reason,
        actor: c.var.operator.name,
      });
      return c.json({ operationId: r.operationId, from: r.from }, 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/deployments/{id}/release',
      tags: ['actions'],
      summary: "Tear the deployment down by hand (as the marketplace's release would)",
      ...guard(deps, 'operate'),
      request: { params: IdParam, body: json(ReasonBody) },
      responses: ok,
    }),
    async (c) => {
      const r = await deps.service.release(c.req.valid('param').id, {
        reason: c.req.valid('json').reason,
        actor: c.var.operator.name,
      });
      return c.json({ operationId: r.operationId }, 202);
    },
  );
}

export { json, Reason, ReasonBody };
