import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningService as Service, startService } from '../../src/app/serve.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { readAnswer, v1Request } from '../support/marketplace-calls.js';
import { waitFor } from '../support/wait-for.js';
import { kgd } from './support/cli-run.js';
import { json } from './support/json.js';

/**
 * The operator surfaces as `kgd serve` composes them (main.ts): admin API, dashboard, metrics
 * fed by the gateway and the engine, the sweep over the service's own (embedded) cloud, replay
 * through its own gateway, and a shutdown that ends the dashboard's live streams.
 */
const KEY = 'serve-ops-test-key-0001';
let testDb: TestDatabase;
let dir: string;
let env: Record<string, string>;
let service: Service;
let token: string;
const log: string[] = [];

const api = (p: string, init: RequestInit = {}) =>
  fetch(`${service.url}${p}`, {
    ...init,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      ...init.headers,
    },
  });

beforeAll(async () => {
  testDb = await createTestDatabase('kgd_ops_serve');
  dir = mkdtempSync(path.join(tmpdir(), 'kgd-ops-serve-'));
  env = {
    DATABASE_URL: testDb.url,
    KGD_MASTER_KEY: randomBytes(32).toString('base64'),
    KGD_MARKETPLACE_KEYS: KEY,
    KGD_DATA_DIR: path.join(dir, 'data'),
    KGD_TEMPLATES_DIR: path.resolve('templates'),
    KGD_PORT: '0',
    KGD_SIM_PORT: '0',
    KGD_HOST: '127.0.0.1',
    KGD_SHUTDOWN_GRACE_MS: '30000',
    KGD_SIM_TIME_SCALE: '0.01',
    KGD_LOG_LEVEL: 'warn',
    KGD_EXECUTOR_ID: `ops-serve-${randomBytes(3).toString('hex')}`,
  };
  service = await startService(env, {
    logDestination: new Writable({
      write(chunk, _e, done) {
        log.push(chunk.toString());
        done();
      },
    }),
  });
  const created = await kgd(env, ['tokens', 'create', '--name', 'ops-serve', '--scope', 'operate']);
  expect(created.code, created.stderr).toBe(0);
  token = created.stdout.trim();
});

afterAll(async () => {
  await service?.stop();
  await testDb?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('kgd serve with the operator surfaces', () => {
  it('serves health, the OpenAPI document, the admin API behind tokens and the dashboard login', async () => {
    expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${service.url}/admin/openapi.json`)).status).toBe(200);
    expect((await fetch(`${service.url}/admin/deployments`)).status).toBe(401);
    expect((await api('/admin/deployments')).status).toBe(200);
    const dash = await fetch(`${service.url}/dashboard`, { redirect: 'manual' });
    expect(dash.status).toBe(303);
    expect(dash.headers.get('location')).toContain('/dashboard/login');
  });

  it('a marketplace call shows in the inbox, in /metrics, and replays through the gateway', async () => {
    const answer = await readAnswer(
      await fetch(
        v1Request(
          `${service.url}/koogallery/produce`,
          {
            activity: 'newInstance',
            businessId: 'b-serve-1',
            orderId: 'ORD-SERVE-1',
            customerId: 'c-1',
            productId: 'OFFI-DEMO-LICENSE-MONTH',
            skuCode: 'basic',
            chargingMode: '1',
            periodType: 'month',
            periodNumber: '1',
            expireTime: '20271231000000',
            testFlag: '1',
          },
          KEY,
          new Date(),
        ),
      ),
      KEY,
    );
    expect(answer.body.resultCode).toBe('000000');
    const id = answer.body.instanceId as string;
    // A seller-console test order: planned, then ready without creating anything.
    await waitFor(
      `deployment ${id} ready`,
      async () => (await json(await api(`/admin/deployments/${id}`))).deployment.status === 'ready',
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    // /metrics needs a token (KGD_METRICS_PUBLIC unset).
    expect((await fetch(`${service.url}/metrics`)).status).toBe(401);
    const metrics = await (await api('/metrics')).text();
    // A test call (testFlag=1) is counted apart from buyers' calls.
    expect(metrics).toContain(
      'kgd_marketplace_test_calls_total{protocol="v1",activity="newInstance",result_code="000000"} 1',
    );
    expect(metrics).toMatch(/kgd_step_attempts_total\{kind="deploy",step="plan",result="ok"\} 1/);
    expect(metrics).toContain('kgd_operations{kind="deploy",status="succeeded"} 1');
    expect(metrics).toContain('kgd_queue_depth{status="pending"} 0');

    const inbox = (await json(await api('/admin/inbox'))).items;
    const replay = await api(`/admin/inbox/${inbox[0].id}/replay`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'check the answer a resend gets' }),
    });
    expect(replay.status).toBe(200);
    const r = await json(replay);
    expect(r.replayed.resultCode).toBe('000000');
    expect(r.replayed.answer.instanceId).toBe(id);
  });

  it('sweeps the embedded cloud: nothing to delete', async () => {
    const res = await api('/admin/sweep');
    expect(res.status).toBe(200);
    expect((await json(res)).items).toEqual([]);
  });

  it('stopping ends the live streams instead of waiting for the grace period', async () => {
    const form = await fetch(`${service.url}/dashboard/login`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())![1]!;
    const login = await fetch(`${service.url}/dashboard/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: form.headers.get('set-cookie')!.split(';')[0]!,
      },
      body: new URLSearchParams({ token, csrf }).toString(),
    });
    const cookie = login.headers
      .getSetCookie()
      .find((c) => c.startsWith('kgd_session='))!
      .split(';')[0]!;
    const events = await fetch(`${service.url}/dashboard/events`, { headers: { cookie } });
    expect(events.status).toBe(200);
    const reader = events.body!.getReader();
    const ended = (async () => {
      for (;;) if ((await reader.read()).done) return true;
    })().catch(() => true);
    const started = Date.now();
    await service.stop();
    expect(await ended).toBe(true);
    // The grace period is 30 s: the stream did not hold the server open until then.
    expect(Date.now() - started).toBeLessThan(25_000);
  });
});
