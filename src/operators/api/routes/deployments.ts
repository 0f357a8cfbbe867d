import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { DeploymentDetailSchema, DeploymentListSchema, LogPageSchema } from '../../model.js';
import type { StepReader } from '../../queries/deployment-detail.js';
import { deploymentDetail } from '../../queries/deployment-detail.js';
import { listDeployments } from '../../queries/deployments.js';
import { readLogs } from '../../queries/logs.js';
import type { AdminEnv } from '../auth.js';
import { errorResponses, guard, type RouteDeps } from '../define-route.js';

const IdParam = z.object({
  id: z
    .string()
    .min(1)
    .meta({
      param: { name: 'id', in: 'path' },
      description: 'instance id (kgi-...) or operation id (op_...)',
    }),
});

/** `GET /admin/deployments`, `/admin/deployments/{id}`, `/admin/deployments/{id}/logs`. */
export function registerDeploymentRoutes(
  app: OpenAPIHono<AdminEnv>,
  deps: RouteDeps & { steps?: StepReader | undefined },
): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/deployments',
      tags: ['deployments'],
      summary: 'Deployments, newest first, with counts by status',
      ...guard(deps, 'read'),
      request: {
        query: z.object({
          status: z
            .string()
            .optional()
            .meta({ description: 'one or more statuses, comma-separated' }),
          product: z.string().optional().meta({ description: 'template name or productId' }),
          customer: z.string().optional().meta({ description: 'customer id or part of the name' }),
          since: z
            .string()
            .optional()
            .meta({ description: 'ISO date/time or a duration (24h, 7d)' }),
          limit: z.string().optional().meta({ description: '1-500, default 50' }),
        }),
      },
      responses: {
        200: {
          description: 'the page',
          content: { 'application/json': { schema: DeploymentListSchema } },
        },
        ...errorResponses,
      },
    }),
    async (c) =>
      c.json(await listDeployments(deps.db, c.req.valid('query'), deps.clock.now()), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/deployments/{id}',
      tags: ['deployments'],
      summary: 'One deployment: operations with steps (timings, errors) and the log tail',
      ...guard(deps, 'read'),
      request: { params: IdParam },
      responses: {
        200: {
          description: 'the deployment',
          content: { 'application/json': { schema: DeploymentDetailSchema } },
        },
        ...errorResponses,
      },
    }),
    async (c) =>
      c.json(await deploymentDetail(deps, c.req.valid('param').id, deps.clock.now()), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/deployments/{id}/logs',
      tags: ['deployments'],
      summary: "A deployment's log lines after a line id (poll with `next` to follow)",
      ...guard(deps, 'read'),
      request: {
        params: IdParam,
        query: z.object({
          after: z.string().regex(/^\d+$/, 'expected a line id').optional(),
          limit: z.string().optional().meta({ description: '1-5000, default 200' }),
        }),
      },
      responses: {
        200: { description: 'lines', content: { 'application/json': { schema: LogPageSchema } } },
        ...errorResponses,
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      return c.json(await readLogs(deps.db, c.req.valid('param').id, q), 200);
    },
  );
}

export { IdParam };
