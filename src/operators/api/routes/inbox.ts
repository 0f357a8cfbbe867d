import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { OperatorService } from '../../actions/operator-service.js';
import { InboxDetailSchema, InboxSummarySchema, ReplayResultSchema } from '../../model.js';
import { inboxDetail, listInbox } from '../../queries/inbox.js';
import type { AdminEnv } from '../auth.js';
import { errorResponses, guard, type RouteDeps } from '../define-route.js';
import { json, ReasonBody } from './deployment-actions.js';

const InboxId = z.object({
  id: z
    .string()
    .regex(/^\d{1,18}$/, 'expected an inbox entry number')
    .meta({ param: { name: 'id', in: 'path' } }),
});

/** `GET /admin/inbox`, `/admin/inbox/{id}`, `POST /admin/inbox/{id}/replay`. */
export function registerInboxRoutes(
  app: OpenAPIHono<AdminEnv>,
  deps: RouteDeps & { service: OperatorService },
): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/inbox',
      tags: ['inbox'],
      summary: 'Marketplace calls received, newest first, with the result codes answered',
      ...guard(deps, 'read'),
      request: {
        query: z.object({
          activity: z.string().optional(),
          instance: z.string().optional(),
          result: z.string().optional().meta({ description: 'a result code, or "failed"' }),
          since: z.string().optional(),
          limit: z.string().optional(),
        }),
      },
      responses: {
        200: {
          description: 'calls',
          content: {
            'application/json': { schema: z.object({ items: z.array(InboxSummarySchema) }) },
          },
        },
        ...errorResponses,
      },
    }),
    async (c) =>
      c.json({ items: await listInbox(deps.db, c.req.valid('query'), deps.clock.now()) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/inbox/{id}',
      tags: ['inbox'],
      summary: 'One call: what was understood (secrets sealed) and the answer given',
      ...guard(deps, 'read'),
      request: { params: InboxId },
      responses: {
        200: {
          description: 'the call',
          content: { 'application/json': { schema: InboxDetailSchema } },
        },
        ...errorResponses,
      },
    }),
    async (c) => c.json(await inboxDetail(deps.db, c.req.valid('param').id), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/inbox/{id}/replay',
      tags: ['inbox'],
      summary:
        'Send the call again through the gateway, re-signed with a fresh timestamp and nonce',
      ...guard(deps, 'operate'),
      request: { params: InboxId, body: json(ReasonBody) },
      responses: {
        200: {
          description: 'both answers',
          content: { 'application/json': { schema: ReplayResultSchema } },
        },
        ...errorResponses,
      },
    }),
    async (c) =>
      c.json(
        await deps.service.replayInbox(c.req.valid('param').id, {
          reason: c.req.valid('json').reason,
          actor: c.var.operator.name,
        }),
        200,
      ),
  );
}
