import type { MiddlewareHandler } from 'hono';
import { safeEqual, verifyRequest } from '../../platform/apig-signing.js';
import type { IamRegistry, Principal } from '../iam/registry.js';
import type { SimContext, SimEnv } from './context.js';
import { codes, sendError } from './sim-errors.js';

type Checked = { ok: true; principal: Principal } | { ok: false; code: string; message: string };

/**
 * The gateway's authentication of one call: the `SDK-HMAC-SHA256` signature over the exact bytes
 * received with the SK of a known key (an account's permanent key or temporary credentials from
 * `assume_role`), an X-Sdk-Date within 15 minutes of `authClock`, and for temporary credentials
 * the `X-Security-Token` they were issued with, signed, and not expired on the simulator clock.
 */
export function authenticate(
  iam: IamRegistry,
  request: { method: string; url: string; headers: Record<string, string>; body: Buffer },
  clocks: { auth: Date },
): Checked {
  const result = verifyRequest(request, (ak) => iam.principal(ak)?.sk, clocks.auth);
  if (!result.ok) return result;
  const principal = iam.principal(result.ak)!;
  if (principal.kind === 'temporary') {
    const token = request.headers['x-security-token'];
    const signed = /SignedHeaders=([^,\s]+)/.exec(request.headers.authorization ?? '')?.[1] ?? '';
    if (!token || !signed.split(';').includes('x-security-token'))
      return {
        ok: false,
        code: codes.gatewayAuth,
        message:
          'Incorrect IAM authentication information: temporary credentials need a signed X-Security-Token',
      };
    if (!safeEqual(token, principal.securityToken))
      return {
        ok: false,
        code: codes.gatewayAuth,
        message: 'Incorrect IAM authentication information: security token does not match the AK',
      };
    if (iam.expired(principal))
      return {
        ok: false,
        code: codes.gatewayAuth,
        message: 'Incorrect IAM authentication information: token expires, please get a new one',
      };
  }
  return { ok: true, principal };
}

/**
 * Checks every cloud API call as the gateway does (see `authenticate`), then that the project id
 * (header and path) is this context's and belongs to the caller's account. Failures answer 401
 * APIGW.0301 (APIGW.0303 for a stale date) before anything else happens.
 */
export function signatureCheck(ctx: SimContext): MiddlewareHandler<SimEnv> {
  return async (c, next) => {
    const raw = Buffer.from(await c.req.arrayBuffer());
    c.set('rawBody', raw.toString('utf8'));
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((value, key) => {
      headers[key] = value;
    });
    const result = authenticate(
      ctx.iam,
      { method: c.req.method, url: c.req.url, headers, body: raw },
      { auth: ctx.authClock.now() },
    );
    if (!result.ok) {
      ctx.logger.debug({ path: c.req.path, code: result.code }, 'simulator refused a signature');
      return sendError(c, 'gateway', 401, result.code, result.message);
    }
    const pathProject = /^\/v[0-9.]+\/([^/]+)\//.exec(c.req.path)?.[1];
    const project = ctx.iam.projects.get(ctx.credentials.projectId);
    if (
      headers['x-project-id'] !== ctx.credentials.projectId ||
      pathProject !== ctx.credentials.projectId ||
      project?.domainId !== result.principal.domainId
    ) {
      return sendError(
        c,
        'gateway',
        401,
        codes.gatewayAuth,
        'Incorrect IAM authentication information: the project id does not belong to these credentials',
      );
    }
    c.set('caller', result.principal);
    return next();
  };
}
