import { Hono } from 'hono';
import { registerProduceRoute } from '../marketplace/gateway/produce-route.js';
import type { GatewayDeps } from '../marketplace/handlers/context.js';
import { registerStatusPage } from '../marketplace/status-page.js';
import { registerHealth } from '../operators/health.js';
import { type OperatorSurfacesDeps, registerOperatorSurfaces } from '../operators/register.js';
import { isUnstorableText } from '../platform/db/database.js';
import { guardSurface, type SurfaceLimits } from './surface-limits.js';

export interface AppDeps {
  gateway: GatewayDeps;
  engineReady: () => boolean;
  /** Admin API, dashboard and /metrics; absent, only the marketplace and health routes. */
  operators?: OperatorSurfacesDeps;
  /** Body and rate limits; absent, the defaults of the configuration. */
  limits?: SurfaceLimits;
}

/**
 * The service's HTTP surface on one listener: production endpoint, buyer status pages, health
 * and the operator surfaces. With a separate admin listener, `createPublicApp` and
 * `createAdminApp` split them.
 */
export function createApp(deps: AppDeps): Hono {
  const app = createPublicApp({ ...deps, operators: undefined });
  if (deps.operators) registerOperatorSurfaces(app, deps.operators);
  return app;
}

/** What the internet reaches: the production endpoint, the buyers' status pages and health. */
export function createPublicApp(deps: AppDeps): Hono {
  const app = surface(deps);
  registerProduceRoute(app, deps.gateway);
  registerStatusPage(app, { db: deps.gateway.db });
  registerHealth(app, { db: deps.gateway.db, engineReady: deps.engineReady });
  return app;
}

/** What operators reach on their own listener: health, admin API, dashboard and /metrics. */
export function createAdminApp(deps: AppDeps & { operators: OperatorSurfacesDeps }): Hono {
  const app = surface(deps);
  registerHealth(app, { db: deps.gateway.db, engineReady: deps.engineReady });
  registerOperatorSurfaces(app, deps.operators);
  return app;
}

function surface(deps: AppDeps): Hono {
  const app = new Hono();
  guardSurface(app, { producePath: deps.gateway.producePath, limits: deps.limits });
  app.notFound((c) =>
    c.json(
      { error: { code: 'NOT_FOUND', message: `no route ${c.req.method} ${c.req.path}` } },
      404,
    ),
  );
  app.onError((err, c) => {
    if (isUnstorableText(err))
      return c.json(
        {
          error: {
            code: 'INVALID_REQUEST',
            message: 'the request holds a NUL byte or invalid text',
          },
        },
        400,
      );
    deps.gateway.logger.error({ err: err.message, path: c.req.path }, 'request failed');
    return c.json({ error: { code: 'INTERNAL', message: 'internal error' } }, 500);
  });
  return app;
}
