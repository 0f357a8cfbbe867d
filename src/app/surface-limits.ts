import type { IncomingMessage } from 'node:http';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { NONCE, secureHeaders } from 'hono/secure-headers';
import { rateLimiter } from 'hono-rate-limiter';

/** Body and rate limits of an HTTP surface (config.surfaces). */
export interface SurfaceLimits {
  /** Every route but the production endpoint (which keeps its own, KGD_MAX_BODY_BYTES). */
  operatorBodyBytes: number;
  /** Requests per minute per client address. */
  perMinute: { login: number; status: number; metrics: number };
}

const defaults: SurfaceLimits = {
  operatorBodyBytes: 1024 * 1024,
  perMinute: { login: 10, status: 120, metrics: 60 },
};

/** The peer's address as the socket sees it; in-process requests (tests, replays) share one. */
function clientAddress(c: Context): string {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? 'in-process';
}

/**
 * Per client address, in this process's memory: with several replicas behind a balancer each
 * counts its own share, so an address gets at most `replicas × limit` a minute, still bounded.
 */
function perAddress(name: string, limit: number): MiddlewareHandler {
  return rateLimiter({
    windowMs: 60_000,
    limit,
    standardHeaders: 'draft-6',
    keyGenerator: (c) => `${name}:${clientAddress(c)}`,
    handler: (c) => {
      c.header('retry-after', '60');
      return c.json(
        { error: { code: 'RATE_LIMITED', message: `too many ${name} requests: retry later` } },
        429,
      );
    },
  });
}

/**
 * The guards every listener's app gets, before any route: security headers on every answer
 * (a strict Content-Security-Policy, no framing, nosniff, no referrer), a body limit on every
 * route but the production endpoint, and per-address rate limits on the routes an anonymous
 * client can make expensive or use to guess: dashboard login, buyers' status pages, /metrics.
 */
export function guardSurface(
  app: Hono,
  options: { producePath: string; limits?: SurfaceLimits | undefined },
): void {
  const limits = options.limits ?? defaults;
  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: [NONCE],
        // Pages carry their styles inline (one <style>, a few style attributes).
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
      },
      xFrameOptions: 'DENY',
      referrerPolicy: 'no-referrer',
    }),
  );
  const body = bodyLimit({
    maxSize: limits.operatorBodyBytes,
    onError: (c) =>
      c.json(
        {
          error: {
            code: 'PAYLOAD_TOO_LARGE',
            message: `request body over ${limits.operatorBodyBytes} bytes`,
          },
        },
        413,
      ),
  });
  app.use('*', (c, next) => (c.req.path === options.producePath ? next() : body(c, next)));
  // A NUL in a path or query is never an id, a filter or a page: refused before any route.
  app.use('*', (c, next) =>
    c.req.path !== options.producePath && /%00|\0/.test(c.req.url)
      ? Promise.resolve(
          c.json(
            { error: { code: 'INVALID_REQUEST', message: 'NUL byte in the path or query' } },
            400,
          ),
        )
      : next(),
  );
  const login = perAddress('login', limits.perMinute.login);
  app.use('/dashboard/login', (c, next) => (c.req.method === 'POST' ? login(c, next) : next()));
  app.use('/i/*', perAddress('status page', limits.perMinute.status));
  app.use('/metrics', perAddress('metrics', limits.perMinute.metrics));
}
