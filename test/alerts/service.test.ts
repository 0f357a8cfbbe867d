import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertNotice } from '../../src/alerts/notice.js';
import { startCaptureServer } from '../support/capture-server.js';
import { createEngineHarness, type EngineHarness } from '../support/engine-harness.js';
import { makeTemplates } from '../support/templates.js';
import { waitFor } from '../support/wait-for.js';

/**
 * The service as `kgd serve` composes it, with a webhook configured: a deployment that fails
 * reaches the receiver as one signed deployment-failed notice naming the step, and the webhook's
 * secret never reaches the log.
 */
const templates = makeTemplates([
  {
    name: 'broken-keep',
    productIds: ['OFFI-BROKEN-KEEP'],
    scripts: { install: '#!/usr/bin/env bash\necho "disk layout unexpected" >&2\nexit 3\n' },
  },
]);
const secret = 'whsec-service-0123456789';
let receiver: Awaited<ReturnType<typeof startCaptureServer>>;
let h: EngineHarness;

beforeAll(async () => {
  receiver = await startCaptureServer((req) => {
    const ts = String(req.headers['x-kgd-timestamp']);
    const expected = `v1=${createHmac('sha256', secret)
      .update(`${ts}.${req.raw.toString('utf8')}`)
      .digest('hex')}`;
    return req.headers['x-kgd-signature'] === expected ? { status: 200 } : { status: 401 };
  });
  h = await createEngineHarness({
    templatesDir: templates.dir,
    env: { KGD_ALERT_WEBHOOK_URL: `${receiver.url}/alerts`, KGD_ALERT_WEBHOOK_SECRET: secret },
    alertsEveryMs: 300,
  });
});
afterAll(async () => {
  await h?.close();
  await receiver?.close();
  templates.cleanup();
});

describe('alerts in the running service', () => {
  it('a failed deployment sends one signed deployment-failed notice', async () => {
    const id = await h.buy({ productId: 'OFFI-BROKEN-KEEP' });
    await h.waitForStatus(id, 'failed', 120_000);
    const notice = await waitFor(
      'the deployment-failed notice',
      () =>
        receiver.received
          .map((r) => r.json as AlertNotice)
          .find((n) => n.key === `deployment-failed:${id}`),
      { timeoutMs: 30_000 },
    );
    expect(notice).toMatchObject({ event: 'firing', severity: 'critical', test: false });
    expect(notice.summary).toContain('hook-install');
    expect(notice.runbook).toContain('kgd deployments rerun');
    // Several more rounds pass: still one notice for it.
    const rounds = await h.database.db.selectFrom('alerts').select('last_seen_at').execute();
    await waitFor('more evaluation rounds', async () => {
      const now = await h.database.db.selectFrom('alerts').select('last_seen_at').execute();
      return (
        new Date(now[0]!.last_seen_at).getTime() >
        new Date(rounds[0]!.last_seen_at).getTime() + 1000
      );
    });
    expect(
      receiver.received.filter((r) => (r.json as AlertNotice).key === `deployment-failed:${id}`),
    ).toHaveLength(1);
    expect(h.logs.join('\n')).not.toContain(secret);
    expect(h.logs.some((l) => l.includes(`ALERT deployment-failed`))).toBe(true);
  });
});
