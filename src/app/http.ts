import { Hono } from 'hono';
import { registerProduceRoute } from '../marketplace/gateway/produce-route.js';
import type { GatewayDeps } from '../marketplace/handlers/context.js';
import { registerStatusPage } from '../marketplace/status-page.js';
import { registerHealth } from '../operators/health.js';
import { type OperatorSurfacesDeps, registerOperatorSurfaces } from '../operators/register.js';

export interface AppDeps {
  gateway: GatewayDeps;
  engineReady: () => boolean;
  /** Admin API, dashboard and /metrics; absent, only the marketplace and health routes. */
  operators?: OperatorSurfacesDeps;
}

/** The service's HTTP surface: production endpoint, buyer status pages, health, operators. */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  registerProduceRoute(app, deps.gateway);
  registerStatusPage(app, { db: deps.gateway.db });
  registerHealth(app, { db: deps.gateway.db, engineReady: deps.engineReady });
  if (deps.operators) registerOperatorSurfaces(app, deps.operators);
  app.notFound((c) =>
    c.json(
      { error: { code: 'NOT_FOUND', message: `no route ${c.req.method} ${c.req.path}` } },
      404,
    ),
  );
  app.onError((err, c) => {
    deps.gateway.logger.error({ err: err.message, path: c.req.path }, 'request failed');
    return c.json({ error: { code: 'INTERNAL', message: 'internal error' } }, 500);
  });
  return app;
}
