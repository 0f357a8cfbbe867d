import type { Hono } from 'hono';
import type { Registry } from 'prom-client';

/**
 * `GET /metrics` in the Prometheus text format. Unauthenticated, like /healthz, so scrapers
 * need no token: expose it to the monitoring network only (it holds counts, no buyer data).
 */
export function registerMetricsRoute(app: Hono, registry: Registry): void {
  app.get('/metrics', async (c) =>
    c.body(await registry.metrics(), 200, { 'content-type': registry.contentType }),
  );
}
