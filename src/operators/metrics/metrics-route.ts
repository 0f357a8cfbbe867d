import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/database.js';
import { type AdminEnv, requireScope } from '../api/auth.js';

/**
 * `GET /metrics` in the Prometheus text format, behind a bearer token of read scope (Prometheus:
 * `authorization: { credentials: <token> }`), or open to anyone when `public` (KGD_METRICS_PUBLIC=1)
 * for a scraper on a trusted network. It holds counts and durations, no buyer data.
 */
export function registerMetricsRoute(
  app: Hono,
  registry: Registry,
  access: { public: boolean; db: Db; clock: Clock },
): void {
  const metrics = new Hono<AdminEnv>();
  if (!access.public) metrics.use('*', requireScope(access, 'read'));
  metrics.get('/', async (c) =>
    c.body(await registry.metrics(), 200, { 'content-type': registry.contentType }),
  );
  app.route('/metrics', metrics);
}
