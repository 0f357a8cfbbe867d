import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/app/runtime.js';
import type { WorkflowControl } from '../../src/deployments/engine/workflow-control.js';
import { createToken } from '../../src/operators/auth/tokens.js';
import type { ChangeFeed } from '../../src/operators/dashboard/change-feed.js';
import { csrfOf } from '../../src/operators/dashboard/session.js';
import { systemClock } from '../../src/platform/clock.js';
import type { DatabaseHandle } from '../../src/platform/db/database.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { openTestRuntime } from '../support/runtime.js';
import { waitFor } from '../support/wait-for.js';
import { createOperatorApp } from './support/operator-app.js';
import { seedInstance, seedLog, seedOperation } from './support/seed.js';

/** The dashboard in-process: sessions, scopes, CSRF, escaping, fragments and the SSE stream. */
let testDb: TestDatabase;
let database: DatabaseHandle;
let runtime: Runtime;
let app: Hono;
let feed: ChangeFeed;
let readToken: string;
let operateToken: string;
const rewinds: string[] = [];

const workflows: WorkflowControl = {
  listSteps: async (id) =>
    id === 'op_failed'
      ? [
          { functionId: 0, name: 'begin', error: null, startedAt: 1, completedAt: 2 },
          { functionId: 1, name: 'create-server', error: 'quota', startedAt: 2, completedAt: 3 },
        ]
      : [],
  rewind: async (id) => {
    rewinds.push(id);
  },
  close: async () => {},
};

const cookie = (token: string) => ({ cookie: `kgd_session=${token}` });
const page = (path: string, token: string, headers: Record<string, string> = {}) =>
  app.request(path, { headers: { ...cookie(token), ...headers } });
const form = (path: string, token: string | undefined, fields: Record<string, string>) =>
  app.request(path, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(token ? cookie(token) : {}),
    },
    body: new URLSearchParams(fields).toString(),
  });

beforeAll(async () => {
  testDb = await createTestDatabase('kgd_ops_dash');
  runtime = await openTestRuntime({
    databaseUrl: testDb.url,
    keys: ['dashboard-test-key'],
    env: { KGD_LOG_LEVEL: 'silent' },
  });
  database = runtime.database;
  const db = database.db;
  const clock = systemClock;
  ({ app, feed } = await createOperatorApp({ runtime, clock, workflows, feedIntervalMs: 50 }));
  readToken = (await createToken(db, clock, { name: 'viewer', scope: 'read', createdBy: 't' }))
    .token;
  operateToken = (
    await createToken(db, clock, { name: 'ops-bob', scope: 'operate', createdBy: 't' })
  ).token;
  await seedInstance(db, 'kgi-failed', {
    status: 'failed',
    status_detail: 'quota <script>alert(1)</script>',
  });
  await seedOperation(db, 'op_failed', 'kgi-failed', {
    status: 'failed',
    failed_step: 'create-server',
    error: JSON.stringify({ message: 'quota exhausted' }),
  });
  await seedInstance(db, 'kgi-ready', { status: 'ready' });
  await seedOperation(db, 'op_ready', 'kgi-ready', { status: 'succeeded' });
});

afterAll(async () => {
  feed?.close();
  await runtime?.close();
  await testDb?.drop();
});

describe('login', () => {
  it('sends visitors to the login page, keeping where they were going', async () => {
    const res = await app.request('/dashboard/d/kgi-failed');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard/login?next=%2Fdashboard%2Fd%2Fkgi-failed');
    expect((await app.request('/')).headers.get('location')).toBe('/dashboard');
  });

  it('refuses a bad token, and sets an HttpOnly SameSite=Strict cookie for a good one', async () => {
    const bad = await form('/dashboard/login', undefined, { token: 'kgd_nope' });
    expect(bad.status).toBe(403);
    expect(bad.headers.get('set-cookie')).toBeNull();
    const ok = await form('/dashboard/login', undefined, {
      token: operateToken,
      next: '/dashboard/d/kgi-failed',
    });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/dashboard/d/kgi-failed');
    const set = ok.headers.get('set-cookie')!;
    expect(set).toContain(`kgd_session=${operateToken}`);
    expect(set).toMatch(/HttpOnly/i);
    expect(set).toMatch(/SameSite=Strict/i);
    expect(set).toContain('Path=/dashboard');
  });

  it('never redirects outside the dashboard', async () => {
    for (const next of ['https://evil.example', '//evil.example', '/admin/deployments']) {
      const res = await form('/dashboard/login', undefined, { token: operateToken, next });
      expect(res.headers.get('location')).toBe('/dashboard');
    }
  });
});

describe('pages', () => {
  it('escapes what it shows', async () => {
    const html = await (await page('/dashboard', readToken)).text();
    expect(html).toContain('quota &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>alert(1)');
  });

  it('renders only <main> content for the live-update script', async () => {
    const full = await (await page('/dashboard/d/kgi-failed', readToken)).text();
    expect(full).toMatch(/^<!DOCTYPE html>|^<html/);
    expect(full).toContain('data-watch="kgi-failed"');
    const fragment = await (
      await page('/dashboard/d/kgi-failed', readToken, { 'x-fragment': '1' })
    ).text();
    expect(fragment).not.toContain('<html');
    expect(fragment).toContain('data-step="create-server" data-step-status="failed"');
  });

  it('an unknown deployment is a 404 page naming the id', async () => {
    const res = await page('/dashboard/d/kgi-nope', readToken);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('no deployment or operation kgi-nope');
  });
});

describe('actions', () => {
  it('a read token sees no action and cannot act', async () => {
    const html = await (await page('/dashboard/d/kgi-failed', readToken)).text();
    expect(html).not.toContain('id="rerun"');
    expect(html).toContain('actions need the operate scope');
    expect((await page('/dashboard/d/kgi-failed/rerun', readToken)).status).toBe(403);
    const res = await form('/dashboard/d/kgi-failed/rerun', readToken, {
      csrf: csrfOf(readToken),
      reason: 'x',
    });
    expect(res.status).toBe(403);
    expect(rewinds).toEqual([]);
  });

  it('a form without the page token is refused (cross-site request)', async () => {
    const res = await form('/dashboard/d/kgi-failed/rerun', operateToken, { reason: 'x' });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('did not come from the dashboard');
    expect(rewinds).toEqual([]);
  });

  it('a refused action shows why on the confirmation page, keeping what was typed', async () => {
    const res = await form('/dashboard/d/kgi-ready/rerun', operateToken, {
      csrf: csrfOf(operateToken),
      reason: 'let us see',
      flavor: 's6.large.2',
    });
    expect(res.status).toBe(409);
    const html = await res.text();
    expect(html).toContain('op_ready is succeeded');
    expect(html).toContain('value="s6.large.2"');
  });

  it('a confirmed rerun redirects to the deployment, audited with the token name', async () => {
    const confirm = await (await page('/dashboard/d/kgi-failed/rerun', operateToken)).text();
    expect(confirm).toContain(`value="${csrfOf(operateToken)}"`);
    expect(confirm).toContain('<option value="create-server">create-server</option>');
    const res = await form('/dashboard/d/kgi-failed/rerun', operateToken, {
      csrf: csrfOf(operateToken),
      reason: 'quota raised',
      from: '',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(
      '/dashboard/d/kgi-failed?done=rerun&from=create-server',
    );
    expect(rewinds).toEqual(['op_failed']);
    const audit = await (await page('/dashboard/audit', readToken)).text();
    expect(audit).toContain('ops-bob');
    expect(audit).toContain('quota raised');
  });
});

describe('live updates', () => {
  it('the SSE stream needs a session', async () => {
    expect((await app.request('/dashboard/events')).status).toBe(401);
  });

  it('streams a change naming the deployment that moved, and ends when the service stops', async () => {
    const res = await page('/dashboard/events', readToken);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    const pump = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        text += new TextDecoder().decode(value);
      }
    })();
    await waitFor('the hello event', () => text.includes('event: hello'));
    // Give the feed its starting marks, then change something.
    await waitFor(
      'a poll',
      async () => {
        await seedLog(database.db, 'op_failed', 'kgi-failed', 'a new line');
        return text.includes('event: change');
      },
      { timeoutMs: 5000, intervalMs: 120 },
    );
    const data = JSON.parse(/event: change\ndata: (.*)\n/.exec(text)![1]!);
    expect(data.instances).toContain('kgi-failed');
    feed.close();
    await pump;
  });
});
