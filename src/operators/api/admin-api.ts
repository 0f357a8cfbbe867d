import { OpenAPIHono } from '@hono/zod-openapi';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/database.js';
import type { Logger } from '../../platform/logger.js';
import type { OperatorService } from '../actions/operator-service.js';
import type { StepReader } from '../queries/deployment-detail.js';
import type { AdminEnv } from './auth.js';
import { adminErrorHandler, validationHook } from './errors.js';
import { registerAuditRoutes } from './routes/audit.js';
import { registerDeploymentActionRoutes } from './routes/deployment-actions.js';
import { registerDeploymentRoutes } from './routes/deployments.js';
import { registerInboxRoutes } from './routes/inbox.js';
import { registerSweepRoutes } from './routes/sweep.js';

export interface AdminApiDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  service: OperatorService;
  steps?: StepReader | undefined;
}

/**
 * The admin HTTP API under `/admin`: bearer tokens (`kgd tokens create`), read or operate scope
 * per route, every change audited. Its OpenAPI document, generated from the same zod schemas
 * that validate requests, is at `/admin/openapi.json` (public: it holds no data).
 *
 * @example
 *   app.route('/', createAdminApi({ db, clock, logger, service }));
 *   // curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/admin/deployments?status=failed
 */
export function createAdminApi(deps: AdminApiDeps): OpenAPIHono<AdminEnv> {
  const app = new OpenAPIHono<AdminEnv>({ defaultHook: validationHook }).basePath('/admin');
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'a token from `kgd tokens create --name <name> --scope read|operate`',
  });
  registerDeploymentRoutes(app, deps);
  registerDeploymentActionRoutes(app, deps);
  registerInboxRoutes(app, deps);
  registerSweepRoutes(app, deps);
  registerAuditRoutes(app, deps);
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'koogallery-deployer admin API',
      version: '1',
      description:
        'See every deployment, understand what failed, rerun it. Scopes: read (GET) and operate (changes, each written to the audit log with its reason).',
    },
  });
  app.onError(adminErrorHandler(deps.logger));
  return app;
}
