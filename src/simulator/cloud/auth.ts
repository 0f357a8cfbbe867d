import type { MiddlewareHandler } from 'hono';
import { verifyRequest } from '../../platform/apig-signing.js';
import type { SimContext, SimEnv } from './context.js';
import { codes, sendError } from './sim-errors.js';

/**
 * Checks every cloud API call as the gateway does: the `SDK-HMAC-SHA256` signature over the
 * exact bytes received, a known AK, an X-Sdk-Date within 15 minutes of the simulator's clock,
 * and the project id (header and path) of the simulated account. Failures answer 401 APIGW.0301
 * (APIGW.0303 for a stale date) before anything else happens.
 */
export function signatureCheck(ctx: SimContext): MiddlewareHandler<SimEnv> {
  return async (c, next) => {
    const raw = Buffer.from(await c.req.arrayBuffer());
    c.set('rawBody', raw.toString('utf8'));
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((value, key) => {
      headers[key] = value;
    });
    const result = verifyRequest(
      { method: c.req.method, url: c.req.url, headers, body: raw },
      (ak) => (ak === ctx.credentials.ak ? ctx.credentials.sk : undefined),
      ctx.authClock.now(),
    );
    if (!result.ok) {
      ctx.logger.debug({ path: c.req.path, code: result.code }, 'simulator refused a signature');
      return sendError(c, 'gateway', 401, result.code, result.message);
    }
    const pathProject = /^\/v[0-9.]+\/([^/]+)\//.exec(c.req.path)?.[1];
    if (
      headers['x-project-id'] !== ctx.credentials.projectId ||
      pathProject !== ctx.credentials.projectId
    ) {
      return sendError(
        c,
        'gateway',
        401,
        codes.gatewayAuth,
        'Incorrect IAM authentication information: the project id does not belong to these credentials',
      );
    }
    return next();
  };
}
