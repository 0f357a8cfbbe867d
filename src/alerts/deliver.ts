import { sql } from 'kysely';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/database.js';
import { Permanent, Retryable } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import type { AlertChannel } from './channel.js';
import type { AlertNotice } from './notice.js';

/** How the outbox retries: exponential from `firstDelayMs`, capped, ±20 % jitter, then gives up. */
export const deliveryPolicy = {
  firstDelayMs: 30_000,
  maxDelayMs: 30 * 60_000,
  maxAttempts: 12,
  /** A claimed notice is another replica's for this long (longer than any send takes). */
  leaseMs: 2 * 60_000,
  sendTimeoutMs: 30_000,
  batch: 20,
};

function retryDelayMs(attempt: number, retryAfterMs?: number): number {
  const base = Math.min(
    deliveryPolicy.maxDelayMs,
    deliveryPolicy.firstDelayMs * 2 ** Math.max(0, attempt - 1),
  );
  const jittered = base * (0.8 + Math.random() * 0.4);
  return Math.round(Math.max(jittered, retryAfterMs ?? 0));
}

export interface DeliveryResult {
  delivered: number;
  retrying: number;
  gaveUp: number;
}

/**
 * Sends the notices that are due, a batch at a time, from any replica: each is claimed for a
 * lease (`FOR UPDATE SKIP LOCKED`), sent, then marked delivered, or rescheduled with backoff, or
 * given up after the last attempt (logged at error level, the fallback every log pipeline sees).
 * A resolved notice waits for its firing one on the same channel. A process that dies after
 * sending and before marking leaves the notice to be sent again when the lease ends: receivers
 * drop the copy by its `id`.
 */
export function createAlertDeliverer(deps: {
  db: Db;
  clock: Clock;
  logger: Logger;
  channels: readonly AlertChannel[];
}) {
  const byName = new Map(deps.channels.map((c) => [c.name, c]));

  async function claim() {
    const now = deps.clock.now();
    const until = new Date(now.getTime() + deliveryPolicy.leaseMs);
    return deps.db
      .updateTable('alert_deliveries')
      .set((eb) => ({ claimed_until: until, attempts: eb('attempts', '+', 1) }))
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('alert_deliveries as d')
          .select('d.id')
          .where('d.delivered_at', 'is', null)
          .where('d.gave_up_at', 'is', null)
          .where('d.next_attempt_at', '<=', now)
          .where((w) => w.or([w('d.claimed_until', 'is', null), w('d.claimed_until', '<', now)]))
          .where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom('alert_deliveries as f')
                  .select(sql`1`.as('one'))
                  .whereRef('f.alert_id', '=', 'd.alert_id')
                  .whereRef('f.channel', '=', 'd.channel')
                  .where('f.event', '=', 'firing')
                  .where('d.event', '=', 'resolved')
                  .where('f.delivered_at', 'is', null)
                  .where('f.gave_up_at', 'is', null),
              ),
            ),
          )
          .orderBy('d.created_at')
          .limit(deliveryPolicy.batch)
          .forUpdate()
          .skipLocked(),
      )
      .returningAll()
      .execute();
  }

  async function deliverDue(): Promise<DeliveryResult> {
    const result: DeliveryResult = { delivered: 0, retrying: 0, gaveUp: 0 };
    const claimed = await claim();
    await Promise.all(
      claimed.map(async (row) => {
        const channel = byName.get(row.channel);
        const notice = row.payload as unknown as AlertNotice;
        const log = {
          alertKey: notice.key,
          channel: row.channel,
          event: row.event,
          notice: row.id,
        };
        try {
          if (!channel)
            throw new Permanent(`channel ${row.channel} is no longer configured on this replica`);
          await channel.send(notice, AbortSignal.timeout(deliveryPolicy.sendTimeoutMs));
          await deps.db
            .updateTable('alert_deliveries')
            .set({ delivered_at: deps.clock.now(), claimed_until: null, last_error: null })
            .where('id', '=', row.id)
            .execute();
          deps.logger.info({ ...log, attempts: row.attempts }, 'alert notice delivered');
          result.delivered++;
        } catch (err) {
          const message = (err as Error).message;
          const last = row.attempts >= deliveryPolicy.maxAttempts;
          if (err instanceof Retryable && !last) {
            const next = new Date(
              deps.clock.now().getTime() + retryDelayMs(row.attempts, err.retryAfterMs),
            );
            await deps.db
              .updateTable('alert_deliveries')
              .set({ next_attempt_at: next, claimed_until: null, last_error: message })
              .where('id', '=', row.id)
              .execute();
            deps.logger.warn(
              { ...log, attempts: row.attempts, err: message, nextAttemptAt: next.toISOString() },
              'alert notice not delivered; retrying',
            );
            result.retrying++;
            return;
          }
          await deps.db
            .updateTable('alert_deliveries')
            .set({ gave_up_at: deps.clock.now(), claimed_until: null, last_error: message })
            .where('id', '=', row.id)
            .execute();
          deps.logger.error(
            { ...log, attempts: row.attempts, err: message, summary: notice.summary },
            `alert notice NOT delivered (gave up): ${notice.summary}`,
          );
          result.gaveUp++;
        }
      }),
    );
    return result;
  }

  return {
    deliverDue,
    /** Closes the channels' connections (SMTP). */
    async close() {
      await Promise.all(deps.channels.map((c) => c.close?.()));
    },
  };
}

export type AlertDeliverer = ReturnType<typeof createAlertDeliverer>;
