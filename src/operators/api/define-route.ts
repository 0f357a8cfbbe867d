import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/database.js';
import type { TokenScope } from '../../platform/db/schema.js';
import { ErrorSchema } from '../model.js';
import { requireScope } from './auth.js';

const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: ErrorSchema } },
});

/** The error answers every admin route can give, documented once. */
export const errorResponses = {
  400: error('invalid request: the message names the field'),
  401: error('no valid bearer token'),
  403: error("the token's scope is too small"),
  404: error('unknown id'),
  409: error('refused in the current state'),
  503: error('not available in this process'),
};

/**
 * Spread into every `createRoute`: the token check (before anything is validated), and the
 * documentation of it: bearer security and the scope needed (`x-kgd-scope`), which the shared
 * auth test reads to check every route.
 */
export function guard(deps: { db: Db; clock: Clock }, scope: TokenScope) {
  return {
    security: [{ bearerAuth: [] as string[] }],
    'x-kgd-scope': scope,
    middleware: requireScope(deps, scope),
  };
}

export interface RouteDeps {
  db: Db;
  clock: Clock;
}
