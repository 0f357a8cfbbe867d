import type { Logger } from '../platform/logger.js';
import { runEvery } from '../platform/periodic.js';
import type { AlertDeliverer } from './deliver.js';
import type { AlertKind } from './kinds.js';
import { type AlertContext, type AlertInput, reconcileAlerts, settleAlerts } from './outbox.js';

/** A watched condition: what holds now, for the kinds it alone decides. */
export interface AlertCondition {
  kinds: readonly AlertKind[];
  /** How often it is looked at (a TLS handshake hourly, a table read every minute). */
  everyMs: number;
  evaluate(): Promise<AlertInput[]>;
}

/**
 * The alert loop the service runs beside the engine: every `tickMs` it looks at the conditions
 * that are due (on the replica that leads, so one replica decides), resolves what stayed clear
 * for the hold-down, and sends the notices that are due (any replica). A condition whose check
 * fails changes nothing: its open alerts stay as they are until it can be looked at again.
 */
export function createAlerting(deps: {
  ctx: AlertContext;
  deliverer: AlertDeliverer;
  conditions: readonly AlertCondition[];
  logger: Logger;
  /** Only the leading replica evaluates (default: always). */
  isLeader?: () => boolean;
  /** Observes each newly opened alert (metrics). */
  onOpened?: (kind: AlertKind) => void;
  tickMs?: number;
}) {
  const lastRun = new Map<AlertCondition, number>();

  async function evaluate(force = false) {
    const now = deps.ctx.clock.now().getTime();
    for (const condition of deps.conditions) {
      if (!force && now - (lastRun.get(condition) ?? -Infinity) < condition.everyMs) continue;
      lastRun.set(condition, now);
      let holding: AlertInput[];
      try {
        holding = await condition.evaluate();
      } catch (err) {
        deps.logger.warn(
          { kinds: condition.kinds, err: (err as Error).message },
          'alert condition could not be evaluated; its alerts are left as they are',
        );
        continue;
      }
      for (const kind of condition.kinds) {
        const mine = holding.filter((h) => h.kind === kind);
        const { opened } = await reconcileAlerts(deps.ctx, kind, mine);
        for (const key of opened) {
          const input = mine.find((m) => `${m.kind}:${m.subject}` === key)!;
          deps.logger.error(
            { alert: kind, key, ...input.details },
            `ALERT ${kind}: ${input.summary}`,
          );
          deps.onOpened?.(kind);
        }
      }
    }
  }

  /** One round: evaluate what is due (leader only), resolve, deliver. */
  async function tick(options: { force?: boolean } = {}) {
    if (deps.isLeader?.() ?? true) await evaluate(options.force);
    const resolved = await settleAlerts(deps.ctx);
    for (const key of resolved) deps.logger.info({ key }, `alert resolved: ${key}`);
    return deps.deliverer.deliverDue();
  }

  let stop: AbortController | undefined;
  let loop: Promise<void> | undefined;
  return {
    tick,
    start() {
      stop = new AbortController();
      loop = runEvery(deps.ctx.clock, deps.tickMs ?? 5000, () => tick(), {
        signal: stop.signal,
        onError: (err) => deps.logger.warn({ err: (err as Error).message }, 'alert round failed'),
      });
    },
    async stop() {
      stop?.abort();
      await loop;
      await deps.deliverer.close();
    },
  };
}

export type Alerting = ReturnType<typeof createAlerting>;
