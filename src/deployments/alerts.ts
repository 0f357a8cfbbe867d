import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/database.js';
import type { Logger } from '../platform/logger.js';
import { retryWindowEnds } from './model/retry-windows.js';

/**
 * Raises one alert per deployment not ready `alertAfterMs` after its order arrived — well before
 * the marketplace's retry window ends — so an operator can still fix and rerun it. Each alert is
 * a log line at error level (for log-based alerting) and a metric (for Prometheus).
 */
export async function raiseDeadlineAlerts(deps: {
  db: Db;
  clock: Clock;
  logger: Logger;
  alertAfterMs: number;
  onAlert?: (instanceId: string) => void;
}): Promise<string[]> {
  const now = deps.clock.now();
  const cutoff = new Date(now.getTime() - deps.alertAfterMs);
  const rows = await deps.db
    .updateTable('instances')
    .set({ alerted_at: now })
    .where('status', 'in', ['pending', 'deploying', 'failed', 'cleanup_failed'])
    .where('alerted_at', 'is', null)
    .where('created_at', '<', cutoff)
    .returning(['id', 'order_id', 'status', 'status_detail', 'created_at'])
    .execute();
  for (const r of rows) {
    const ends = retryWindowEnds('purchase', new Date(r.created_at));
    deps.logger.error(
      {
        alert: 'deploy-deadline',
        instanceId: r.id,
        orderId: r.order_id,
        status: r.status,
        detail: r.status_detail,
        retryWindowEndsAt: ends.toISOString(),
      },
      `deployment ${r.id} not ready after ${Math.round(deps.alertAfterMs / 60_000)} min (${r.status}); the marketplace cancels the order at ${ends.toISOString()}: see kgd deployments show ${r.id}`,
    );
    deps.onAlert?.(r.id);
  }
  return rows.map((r) => r.id);
}
