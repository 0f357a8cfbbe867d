import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAlerting } from '../../src/alerts/alerting.js';
import type { AlertChannel } from '../../src/alerts/channel.js';
import { createWebhookChannel } from '../../src/alerts/channels/webhook.js';
import { createAlertDeliverer, deliveryPolicy } from '../../src/alerts/deliver.js';
import type { AlertNotice } from '../../src/alerts/notice.js';
import { type AlertContext, type AlertInput, raiseAlert } from '../../src/alerts/outbox.js';
import { failedDeployments } from '../../src/deployments/alerts.js';
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database.js';
import { Retryable } from '../../src/platform/errors.js';
import { createIds } from '../../src/platform/ids.js';
import { createSilentLogger } from '../../src/platform/logger.js';
import { startCaptureServer } from '../support/capture-server.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { createManualClock, type ManualClock } from '../support/fakes/manual-clock.js';
import { insertInstanceRow } from '../support/store-rows.js';
import { waitFor } from '../support/wait-for.js';

/**
 * The alert outbox on real PostgreSQL: one notice per incident and channel, whatever crashes,
 * resends, replicas and flapping conditions do. A "crash" is a process that stops: everything it
 * knew that was not committed is gone, so it is played by dropping the objects and building new
 * ones on the same database.
 */
let testDb: TestDatabase;
let handle: DatabaseHandle;
let clock: ManualClock;
const logger = createSilentLogger();

beforeAll(async () => {
  testDb = await createTestDatabase('kgd_alerts');
  handle = await openDatabase({ url: testDb.url, poolSize: 6, logger });
});
afterAll(async () => {
  await handle?.close();
  await testDb?.drop();
});
beforeEach(async () => {
  await handle.db.deleteFrom('alert_deliveries').execute();
  await handle.db.deleteFrom('alerts').execute();
  await handle.db.deleteFrom('instances').execute();
  clock = createManualClock({ start: new Date() });
});

/** A channel recording what it was given; `fail` decides each attempt's fate. */
function recordingChannel(
  name: string,
  severities: AlertChannel['severities'] = ['critical', 'warning'],
  fail: (n: number) => Error | 'hang' | undefined = () => undefined,
) {
  const sent: AlertNotice[] = [];
  let attempts = 0;
  const channel: AlertChannel = {
    name,
    type: 'webhook',
    severities,
    async send(notice) {
      attempts++;
      const f = fail(attempts);
      if (f === 'hang') return new Promise<void>(() => {}); // the process dies mid-send
      if (f) throw f;
      sent.push(notice);
    },
  };
  return { channel, sent, attempts: () => attempts };
}

const ctxFor = (channels: AlertChannel[], resolveAfterMs = 10 * 60_000): AlertContext => ({
  db: handle.db,
  clock,
  ids: createIds(clock),
  channels,
  source: 'https://deploy.example.com',
  resolveAfterMs,
});
const failed = (subject: string): AlertInput => ({
  kind: 'deployment-failed',
  subject,
  summary: `deployment ${subject} failed at create-server`,
  details: { instanceId: subject },
});

describe('alert outbox', () => {
  it('a condition seen again and again opens one alert and sends one notice per channel', async () => {
    const a = recordingChannel('a');
    const b = recordingChannel('b');
    const ctx = ctxFor([a.channel, b.channel]);
    const deliverer = createAlertDeliverer({ ...ctx, logger, channels: [a.channel, b.channel] });
    expect(await raiseAlert(ctx, failed('kgi-1'))).toBe(true);
    for (let i = 0; i < 5; i++) {
      expect(await raiseAlert(ctx, failed('kgi-1'))).toBe(false);
      await deliverer.deliverDue();
    }
    expect(a.sent.map((n) => n.key)).toEqual(['deployment-failed:kgi-1']);
    expect(b.sent).toHaveLength(1);
    expect(a.sent[0]!.alertId).toBe(b.sent[0]!.alertId);
    expect(a.sent[0]!.id).not.toBe(b.sent[0]!.id);
  });

  it('ten replicas raising the same condition at once open one alert', async () => {
    const a = recordingChannel('a');
    const results = await Promise.all(
      Array.from({ length: 10 }, () => raiseAlert(ctxFor([a.channel]), failed('kgi-2'))),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const rows = await handle.db.selectFrom('alert_deliveries').selectAll().execute();
    expect(rows).toHaveLength(1);
  });

  it('routes by severity: a channel for critical alerts only never gets a warning', async () => {
    const pager = recordingChannel('pager', ['critical']);
    const chat = recordingChannel('chat', ['critical', 'warning']);
    const ctx = ctxFor([pager.channel, chat.channel]);
    await raiseAlert(ctx, failed('kgi-3'));
    await raiseAlert(ctx, {
      kind: 'cleanup-failed',
      subject: 'kgi-4',
      summary: 'cleanup of kgi-4 failed',
    });
    await createAlertDeliverer({
      ...ctx,
      logger,
      channels: [pager.channel, chat.channel],
    }).deliverDue();
    expect(pager.sent.map((n) => n.kind)).toEqual(['deployment-failed']);
    expect(chat.sent.map((n) => n.kind).sort()).toEqual(['cleanup-failed', 'deployment-failed']);
  });

  it('a crash between the alert and its delivery delivers exactly one notice after restart', async () => {
    const receiver = await startCaptureServer(() => ({ status: 204 }));
    try {
      const webhook = () =>
        createWebhookChannel(
          { name: 'hook', url: receiver.url, secret: 'whsec-1', severities: ['critical'] },
          { fetch, clock },
        );
      // Process 1 raises the alert (committed) and dies before sending anything.
      await raiseAlert(ctxFor([webhook()]), failed('kgi-5'));
      expect(receiver.received).toHaveLength(0);
      // Process 2 starts on the same database: the notice is due and sent once.
      const restarted = createAlertDeliverer({
        db: handle.db,
        clock,
        logger,
        channels: [webhook()],
      });
      expect(await restarted.deliverDue()).toMatchObject({ delivered: 1 });
      expect(await restarted.deliverDue()).toMatchObject({ delivered: 0 });
      clock.advance(deliveryPolicy.leaseMs * 2);
      expect(await restarted.deliverDue()).toMatchObject({ delivered: 0 });
      expect(receiver.received).toHaveLength(1);
      expect((receiver.received[0]!.json as AlertNotice).key).toBe('deployment-failed:kgi-5');
    } finally {
      await receiver.close();
    }
  });

  it('a crash while sending resends after the lease with the same notice id, so the receiver keeps one', async () => {
    const dying = recordingChannel('hook', ['critical'], () => 'hang');
    const ctx = ctxFor([dying.channel]);
    await raiseAlert(ctx, failed('kgi-6'));
    // Process 1 claims the notice and dies inside send: it never marks it.
    void createAlertDeliverer({ ...ctx, logger, channels: [dying.channel] }).deliverDue();
    await waitFor('the first replica to be inside send', () => dying.attempts() === 1);
    const healthy = recordingChannel('hook', ['critical']);
    const other = createAlertDeliverer({ ...ctx, logger, channels: [healthy.channel] });
    // Another replica leaves it alone while the lease holds...
    expect(await other.deliverDue()).toMatchObject({ delivered: 0 });
    // ...and sends it once the lease ended.
    clock.advance(deliveryPolicy.leaseMs + 1000);
    expect(await other.deliverDue()).toMatchObject({ delivered: 1 });
    expect(await other.deliverDue()).toMatchObject({ delivered: 0 });
    const row = await handle.db
      .selectFrom('alert_deliveries')
      .selectAll()
      .executeTakeFirstOrThrow();
    expect(healthy.sent.map((n) => n.id)).toEqual([row.id]);
  });

  it('retries a failing receiver with growing delays, then delivers once', async () => {
    const flaky = recordingChannel('hook', ['critical'], (n) =>
      n <= 3 ? new Retryable('HTTP 503') : undefined,
    );
    const ctx = ctxFor([flaky.channel]);
    const deliverer = createAlertDeliverer({ ...ctx, logger, channels: [flaky.channel] });
    await raiseAlert(ctx, failed('kgi-7'));
    const waits: number[] = [];
    for (let round = 0; round < 10 && flaky.sent.length === 0; round++) {
      await deliverer.deliverDue();
      const row = await handle.db
        .selectFrom('alert_deliveries')
        .selectAll()
        .executeTakeFirstOrThrow();
      if (row.delivered_at) break;
      const wait = new Date(row.next_attempt_at).getTime() - clock.now().getTime();
      // Nothing is sent before its time.
      expect(await deliverer.deliverDue()).toMatchObject({ delivered: 0, retrying: 0 });
      waits.push(wait);
      clock.advance(wait);
    }
    expect(flaky.attempts()).toBe(4);
    expect(flaky.sent).toHaveLength(1);
    expect(waits).toHaveLength(3);
    expect(waits[0]!).toBeGreaterThanOrEqual(deliveryPolicy.firstDelayMs * 0.8);
    expect(waits[1]!).toBeGreaterThan(waits[0]! * 1.3);
    expect(waits[2]!).toBeGreaterThan(waits[1]! * 1.3);
    const row = await handle.db
      .selectFrom('alert_deliveries')
      .selectAll()
      .executeTakeFirstOrThrow();
    expect(row.attempts).toBe(4);
    expect(row.last_error).toBeNull();
  });

  it('gives up on a permanent refusal at once, and says so in the row', async () => {
    const refused = recordingChannel(
      'hook',
      ['critical'],
      () => new Error('HTTP 401 bad signature'),
    );
    const ctx = ctxFor([refused.channel]);
    await raiseAlert(ctx, failed('kgi-8'));
    const deliverer = createAlertDeliverer({ ...ctx, logger, channels: [refused.channel] });
    expect(await deliverer.deliverDue()).toMatchObject({ gaveUp: 1 });
    clock.advance(deliveryPolicy.maxDelayMs * 2);
    expect(await deliverer.deliverDue()).toMatchObject({ delivered: 0, gaveUp: 0 });
    const row = await handle.db
      .selectFrom('alert_deliveries')
      .selectAll()
      .executeTakeFirstOrThrow();
    expect(row.gave_up_at).not.toBeNull();
    expect(row.last_error).toContain('bad signature');
  });
});

describe('conditions, clearing and flapping', () => {
  it('a flapping condition sends one alert and one resolve', async () => {
    const hook = recordingChannel('hook');
    const ctx = ctxFor([hook.channel], 10 * 60_000);
    const holds = { now: true };
    const alerting = createAlerting({
      ctx,
      deliverer: createAlertDeliverer({ ...ctx, logger, channels: [hook.channel] }),
      conditions: [
        {
          kinds: ['deployment-failed'],
          everyMs: 0,
          evaluate: async () => (holds.now ? [failed('kgi-9')] : []),
        },
      ],
      logger,
    });
    // It holds, clears, holds again... every minute for half an hour.
    for (let minute = 0; minute < 30; minute++) {
      holds.now = minute % 2 === 0 || minute % 7 === 3;
      await alerting.tick();
      clock.advance(60_000);
    }
    expect(hook.sent.map((n) => n.event)).toEqual(['firing']);
    // It holds once more, then stays clear: resolved once the hold-down has passed, not before.
    holds.now = true;
    await alerting.tick();
    clock.advance(60_000);
    holds.now = false;
    await alerting.tick();
    clock.advance(9 * 60_000);
    await alerting.tick();
    expect(hook.sent.map((n) => n.event)).toEqual(['firing']);
    clock.advance(2 * 60_000);
    await alerting.tick();
    for (let i = 0; i < 5; i++) {
      clock.advance(60_000);
      await alerting.tick();
    }
    expect(hook.sent.map((n) => n.event)).toEqual(['firing', 'resolved']);
    expect(hook.sent[1]!.alertId).toBe(hook.sent[0]!.alertId);
    expect(hook.sent[1]!.resolvedAt).not.toBeNull();
    // A new occurrence later is a new incident.
    holds.now = true;
    await alerting.tick();
    expect(hook.sent.map((n) => n.event)).toEqual(['firing', 'resolved', 'firing']);
    expect(hook.sent[2]!.alertId).not.toBe(hook.sent[0]!.alertId);
  });

  it('a resolve never overtakes its firing notice on a channel', async () => {
    let down = true;
    const hook = recordingChannel('hook', ['critical'], () =>
      down ? new Retryable('HTTP 502') : undefined,
    );
    const ctx = ctxFor([hook.channel], 60_000);
    const alerting = createAlerting({
      ctx,
      deliverer: createAlertDeliverer({ ...ctx, logger, channels: [hook.channel] }),
      conditions: [
        {
          kinds: ['deployment-failed'],
          everyMs: 0,
          evaluate: async () => (clock.now().getTime() < start + 60_000 ? [failed('kgi-10')] : []),
        },
      ],
      logger,
    });
    const start = clock.now().getTime();
    await alerting.tick();
    clock.advance(61_000);
    await alerting.tick();
    clock.advance(61_000);
    await alerting.tick(); // resolved now, but the firing notice is still failing
    expect(hook.sent).toHaveLength(0);
    down = false;
    clock.advance(deliveryPolicy.maxDelayMs);
    await alerting.tick();
    await alerting.tick();
    expect(hook.sent.map((n) => n.event)).toEqual(['firing', 'resolved']);
  });

  it('deployment-failed and cleanup-failed follow the instances table', async () => {
    const hook = recordingChannel('hook');
    const ctx = ctxFor([hook.channel], 60_000);
    const alerting = createAlerting({
      ctx,
      deliverer: createAlertDeliverer({ ...ctx, logger, channels: [hook.channel] }),
      conditions: [
        {
          kinds: ['deployment-failed', 'cleanup-failed'],
          everyMs: 0,
          evaluate: () => failedDeployments({ db: handle.db }),
        },
      ],
      logger,
    });
    const now = clock.now();
    await insertInstanceRow(
      handle.db,
      { id: 'kgi-f', status: 'failed', status_detail: 'Ecs.0319' },
      now,
    );
    await insertInstanceRow(handle.db, { id: 'kgi-c', status: 'cleanup_failed' }, now);
    await insertInstanceRow(handle.db, { id: 'kgi-t', status: 'failed', test: true }, now);
    await insertInstanceRow(handle.db, { id: 'kgi-r', status: 'ready' }, now);
    await alerting.tick();
    expect(hook.sent.map((n) => n.key).sort()).toEqual([
      'cleanup-failed:kgi-c',
      'deployment-failed:kgi-f',
    ]);
    expect(hook.sent.find((n) => n.kind === 'deployment-failed')!.summary).toContain('Ecs.0319');
    // An operator reran it and it is ready now: resolved after the hold-down.
    await handle.db
      .updateTable('instances')
      .set({ status: 'ready' })
      .where('id', '=', 'kgi-f')
      .execute();
    await alerting.tick();
    clock.advance(61_000);
    await alerting.tick();
    expect(hook.sent.filter((n) => n.event === 'resolved').map((n) => n.key)).toEqual([
      'deployment-failed:kgi-f',
    ]);
  });
});
