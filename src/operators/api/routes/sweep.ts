import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { OperatorService } from '../../actions/operator-service.js';
import { SweepCandidateSchema, SweepDeletionSchema } from '../../model.js';
import type { AdminEnv } from '../auth.js';
import { errorResponses, guard, type RouteDeps } from '../define-route.js';
import { json, Reason } from './deployment-actions.js';

/** `GET /admin/sweep` (what would be deleted), `POST /admin/sweep/delete`. */
export function registerSweepRoutes(
  app: OpenAPIHono<AdminEnv>,
  deps: RouteDeps & { service: OperatorService },
): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/sweep',
      tags: ['sweep'],
      summary: 'Tagged cloud resources of released, failed or unknown deployments',
      ...guard(deps, 'read'),
      responses: {
        200: {
          description: 'candidates',
          content: {
            'application/json': { schema: z.object({ items: z.array(SweepCandidateSchema) }) },
          },
        },
        ...errorResponses,
      },
    }),
    async (c) => c.json({ items: await deps.service.sweepScan() }, 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/sweep/delete',
      tags: ['sweep'],
      summary: 'Delete the candidates (all, or those of `instanceIds`), re-checked first',
      ...guard(deps, 'operate'),
      request: {
        body: json(
          z
            .object({
              reason: Reason,
              instanceIds: z
                .array(z.string())
                .optional()
                .meta({ description: 'default: every candidate' }),
            })
            .meta({ id: 'SweepDeleteRequest' }),
        ),
      },
      responses: {
        200: {
          description: 'what was deleted',
          content: {
            'application/json': { schema: z.object({ items: z.array(SweepDeletionSchema) }) },
          },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const items = await deps.service.sweepDelete({
        reason: body.reason,
        instanceIds: body.instanceIds,
        actor: c.var.operator.name,
      });
      return c.json({ items }, 200);
    },
  );
}
