import type { MiddlewareHandler } from 'hono';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/database.js';
import type { TokenScope } from '../../platform/db/schema.js';
import { satisfies, type TokenIdentity, verifyToken } from '../auth/tokens.js';

export type AdminEnv = { Variables: { operator: TokenIdentity } };

/** Reads `Authorization: Bearer <token>`. */
function bearerOf(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}

/**
 * Admits a request whose bearer token is valid and has `scope` (operate includes read):
 * 401 without a valid token, 403 with one of too small a scope. The identity is `c.var.operator`.
 */
export function requireScope(
  deps: { db: Db; clock: Clock },
  scope: TokenScope,
): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const who = await verifyToken(deps.db, deps.clock, bearerOf(c.req.header('authorization')));
    if (!who) {
      c.header('WWW-Authenticate', 'Bearer realm="kgd-admin"');
      return c.json(
        {
          error: {
            code: 'UNAUTHENTICATED',
            message: 'a valid bearer token is required (kgd tokens create)',
          },
        },
        401,
      );
    }
    if (!satisfies(who.scope, scope)) {
      return c.json(
        {
          error: {
            code: 'FORBIDDEN',
            message: `token ${who.name} has scope ${who.scope}; this needs ${scope}`,
          },
        },
        403,
      );
    }
    c.set('operator', who);
    await next();
  };
}
