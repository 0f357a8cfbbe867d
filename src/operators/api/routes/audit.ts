import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { AuditEntrySchema } from '../../model.js';
import { listAudit } from '../../queries/audit.js';
import type { AdminEnv } from '../auth.js';
import { errorResponses, guard, type RouteDeps } from '../define-route.js';

/** `GET /admin/audit`: who changed what, when and why. */
export function registerAuditRoutes(app: OpenAPIHono<AdminEnv>, deps: RouteDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/audit',
      tags: ['audit'],
      summary: 'The audit log of operator actions, newest first',
      ...guard(deps, 'read'),
      request: {
        query: z.object({
          target: z.string().optional().meta({
            description: 'instance (matches its operations), operation, inbox:<id>, token:<name>',
          }),
          actor: z.string().optional(),
          action: z.string().optional(),
          since: z.string().optional(),
          limit: z.string().optional(),
        }),
      },
      responses: {
        200: {
          description: 'entries',
          content: {
            'application/json': { schema: z.object({ items: z.array(AuditEntrySchema) }) },
          },
        },
        ...errorResponses,
      },
    }),
    async (c) =>
      c.json({ items: await listAudit(deps.db, c.req.valid('query'), deps.clock.now()) }, 200),
  );
}
