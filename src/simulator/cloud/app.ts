import { Hono } from 'hono';
import { signatureCheck } from './auth.js';
import type { SimContext, SimEnv } from './context.js';
import { registerEcsActionRoutes } from './ecs-actions.js';
import { registerEcsCreateRoutes } from './ecs-create.js';
import { registerEcsJobRoutes } from './ecs-jobs.js';
import { registerEcsServerRoutes } from './ecs-servers.js';
import { registerEipRoutes } from './eips.js';
import { statsOf } from './guard.js';
import { type InspectionDeps, registerInspectionRoutes } from './inspection.js';
import { registerResourceTagRoutes } from './resource-tags.js';
import { registerSecurityGroupV2Routes } from './security-groups-v2.js';
import { registerSecurityGroupV3Routes } from './security-groups-v3.js';
import { codes, SimHttpError, sendError, styleOf } from './sim-errors.js';
import { registerSmnRoutes } from './smn.js';
import { registerSubnetRoutes } from './subnets.js';
import { registerVpcRoutes } from './vpc.js';

/**
 * The simulated cloud on one Hono app: ECS v1/v1.1, VPC v1, the v2.0 tag APIs and VPC v3 (their
 * paths do not overlap, huawei-cloud.md §1), every call signature-checked, plus the
 * unauthenticated control and inspection API under /sim/.
 */
export function createCloudSimulatorApp(
  ctx: SimContext,
  /** The control and inspection API under /sim/ (the default project's app only). */
  inspection?: Omit<InspectionDeps, 'ctx'>,
): Hono<SimEnv> {
  const app = new Hono<SimEnv>();

  app.use('*', async (c, next) => {
    const requestId = ctx.uuid().replace(/-/g, '');
    c.set('requestId', requestId);
    c.header('x-request-id', requestId);
    // Time-driven transitions first, so every answer reflects the state at this instant.
    ctx.scheduler.advance();
    await next();
    const api = c.get('api');
    const code = c.get('errorCode');
    if (api && code) {
      const { refusals } = statsOf(ctx, api);
      refusals[code] = (refusals[code] ?? 0) + 1;
    }
  });

  if (inspection) registerInspectionRoutes(app, { ctx, ...inspection });

  const check = signatureCheck(ctx);
  for (const prefix of ['/v1/*', '/v1.1/*', '/v2/*', '/v2.0/*', '/v3/*']) app.use(prefix, check);

  registerEcsCreateRoutes(app, ctx);
  registerEcsJobRoutes(app, ctx);
  registerEcsActionRoutes(app, ctx);
  registerEcsServerRoutes(app, ctx);
  registerVpcRoutes(app, ctx);
  registerSubnetRoutes(app, ctx);
  registerEipRoutes(app, ctx);
  registerSecurityGroupV2Routes(app, ctx);
  registerSecurityGroupV3Routes(app, ctx);
  registerResourceTagRoutes(app, ctx);
  registerSmnRoutes(app, ctx);

  app.notFound((c) =>
    sendError(
      c,
      'gateway',
      404,
      codes.gatewayNoApi,
      'The API does not exist or has not been published in the environment',
    ),
  );
  app.onError((err, c) => {
    if (err instanceof SimHttpError)
      return sendError(c, styleOf(c.get('api')), err.status, err.code, err.message);
    ctx.logger.error({ err: err.message, path: c.req.path }, 'simulator handler failed');
    return sendError(c, 'gateway', 500, codes.injected, `simulator internal error: ${err.message}`);
  });
  return app;
}
