import { createHash } from 'node:crypto';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/app/runtime.js';
import type { WorkflowControl } from '../../src/deployments/engine/workflow-control.js';
import { createToken, revokeToken } from '../../src/operators/auth/tokens.js';
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
/** Session ids (the cookie) from signing in with each token. */
let readSession: string;
let operateSession: string;
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

const cookie = (session: string) => ({ cookie: `kgd_session=${session}` });
const page = (path: string, session: string, headers: Record<string, string> = {}) =>
  app.request(path, { headers: { ...cookie(session), ...headers } });
const post = (path: string, headers: Record<string, string>, fields: Record<string, string>) =>
  app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
const form = (path: string, session: string | undefined, fields: Record<string, string>) =>
  post(path, session ? cookie(session) : {}, fields);

const cookieValue = (res: Response, name: string) =>
  res.headers
    .getSetCookie()
    .map((c) => new RegExp(`^${name}=([^;]*)`).exec(c)?.[1])
    .find((v) => v !== undefined);

/** The login form as a browser gets it: its CSRF cookie and the same value in the form. */
async function loginForm(): Promise<{ csrf: string; headers: Record<string, string> }> {
  const res = await app.request('/dashboard/login');
  const csrf = /name="csrf" value="([^"]+)"/.exec(await res.text())![1]!;
  expect(cookieValue(res, 'kgd_login')).toBe(csrf);
  return { csrf, headers: { cookie: `kgd_login=${csrf}` } };
}

async function login(token: string, next = '/dashboard'): Promise<Response> {
  const { csrf, headers } = await loginForm();
  return post('/dashboard/login', headers, { token, next, csrf });
}

async function signIn(token: string): Promise<string> {
  const res = await login(token);
  expect(res.status).toBe(303);
  return cookieValue(res, 'kgd_session')!;
}

beforeAll(async () => {
  testDb = await createTestDatabase('kgd_ops_dash');
  runtime = await openTestRuntime({
    databaseUrl: testDb.url,
    keys: ['dashboard-test-key'],
    // Every login here comes from one in-process address: past the default 10 a minute.
    env: { KGD_LOG_LEVEL: 'silent', KGD_RATE_LOGIN_PER_MINUTE: '1000' },
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
  readSession = await signIn(readToken);
  operateSession = await signIn(operateToken);
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

  it('refuses a bad token, and opens a server-side session for a good one', async () => {
    const bad = await login('kgd_nope');
    expect(bad.status).toBe(403);
    expect(cookieValue(bad, 'kgd_session')).toBeUndefined();
    const ok = await login(operateToken, '/dashboard/d/kgi-failed');
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/dashboard/d/kgi-failed');
    const set = ok.headers.getSetCookie().find((c) => c.startsWith('kgd_session='))!;
    const id = cookieValue(ok, 'kgd_session')!;
    // A random id, not the token: a stolen cookie is not a token, and the table keeps its hash.
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(set).not.toContain(operateToken);
    expect(set).toMatch(/HttpOnly/i);
    expect(set).toMatch(/SameSite=Strict/i);
    expect(set).toContain('Path=/dashboard');
    // The service's public URL is https: the cookie is Secure whatever the request said.
    expect(set).toMatch(/; Secure/i);
    const stored = await database.db.selectFrom('operator_sessions').select('hash').execute();
    expect(stored.map((r) => r.hash)).toContain(createHash('sha256').update(id).digest('hex'));
    expect(JSON.stringify(stored)).not.toContain(id);
    expect((await page('/dashboard', id)).status).toBe(200);
    // The raw token as a cookie, as before sessions, opens nothing.
    expect((await page('/dashboard', operateToken)).status).toBe(303);
  });

  it('refuses a login form that did not come from the dashboard (login CSRF)', async () => {
    const { csrf } = await loginForm();
    for (const [headers, sent] of [
      [{}, csrf],
      [{ cookie: `kgd_login=${csrf}` }, 'forged'],
      [{ cookie: `kgd_login=${csrf}` }, ''],
    ] as const) {
      const res = await post('/dashboard/login', headers, { token: operateToken, csrf: sent });
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('did not come from this dashboard');
      expect(cookieValue(res, 'kgd_session')).toBeUndefined();
    }
  });

  it('logout ends the session on the server: the same cookie no longer works', async () => {
    const id = await signIn(readToken);
    expect((await page('/dashboard', id)).status).toBe(200);
    const out = await form('/dashboard/logout', id, {});
    expect(out.status).toBe(303);
    expect((await page('/dashboard', id)).status).toBe(303);
    expect((await app.request('/dashboard/events', { headers: cookie(id) })).status).toBe(401);
  });

  it('revoking or expiring the token ends its sessions', async () => {
    const db = database.db;
    const short = await createToken(db, systemClock, {
      name: 'short-lived',
      scope: 'read',
      createdBy: 't',
      expiresAt: new Date(Date.now() + 60_000),
    });
    const id = await signIn(short.token);
    expect((await page('/dashboard', id)).status).toBe(200);
    await db
      .updateTable('admin_tokens')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', short.id)
      .execute();
    expect((await page('/dashboard', id)).status).toBe(303);
    expect((await login(short.token)).status).toBe(403);

    const revoked = await createToken(db, systemClock, {
      name: 'to-revoke',
      scope: 'read',
      createdBy: 't',
    });
    const other = await signIn(revoked.token);
    await revokeToken(db, systemClock, 'to-revoke');
    expect((await page('/dashboard', other)).status).toBe(303);
  });

  it('a session ends after its idle limit and at its absolute end', async () => {
    const db = database.db;
    const idle = await signIn(readToken);
    await db
      .updateTable('operator_sessions')
      .set({ last_seen_at: new Date(Date.now() - 31 * 60_000) })
      .where('hash', '=', createHash('sha256').update(idle).digest('hex'))
      .execute();
    expect((await page('/dashboard', idle)).status).toBe(303);
    const old = await signIn(readToken);
    await db
      .updateTable('operator_sessions')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('hash', '=', createHash('sha256').update(old).digest('hex'))
      .execute();
    expect((await page('/dashboard', old)).status).toBe(303);
  });

  it('never redirects outside the dashboard', async () => {
    for (const next of ['https://evil.example', '//evil.example', '/admin/deployments']) {
      const res = await login(operateToken, next);
      expect(res.headers.get('location')).toBe('/dashboard');
    }
  });

  it('every page carries the security headers; the live script runs under the CSP nonce', async () => {
    for (const path of ['/dashboard/login', '/dashboard/d/kgi-failed']) {
      const res = await page(path, readSession);
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toMatch(/script-src 'nonce-[A-Za-z0-9+/=]+'/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
    const res = await page('/dashboard/d/kgi-failed', readSession);
    const nonce = /'nonce-([^']+)'/.exec(res.headers.get('content-security-policy')!)![1];
    expect(await res.text()).toContain(`<script nonce="${nonce}">`);
  });
});

describe('pages', () => {
  it('escapes what it shows', async () => {
    const html = await (await page('/dashboard', readSession)).text();
    expect(html).toContain('quota &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>alert(1)');
  });

  it('renders only <main> content for the live-update script', async () => {
    const full = await (await page('/dashboard/d/kgi-failed', readSession)).text();
    expect(full).toMatch(/^<!DOCTYPE html>|^<html/);
    expect(full).toContain('data-watch="kgi-failed"');
    const fragment = await (
      await page('/dashboard/d/kgi-failed', readSession, { 'x-fragment': '1' })
    ).text();
    expect(fragment).not.toContain('<html');
    expect(fragment).toContain('data-step="create-server" data-step-status="failed"');
  });

  it('an unknown deployment is a 404 page naming the id', async () => {
    const res = await page('/dashboard/d/kgi-nope', readSession);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('no deployment or operation kgi-nope');
  });
});

describe('actions', () => {
  it('a read token sees no action and cannot act', async () => {
    const html = await (await page('/dashboard/d/kgi-failed', readSession)).text();
    expect(html).not.toContain('id="rerun"');
    expect(html).toContain('actions need the operate scope');
    expect((await page('/dashboard/d/kgi-failed/rerun', readSession)).status).toBe(403);
    const res = await form('/dashboard/d/kgi-failed/rerun', readSession, {
      csrf: csrfOf(readSession),
      reason: 'x',
    });
    expect(res.status).toBe(403);
    expect(rewinds).toEqual([]);
  });

  it('a form without the page token is refused (cross-site request)', async () => {
    const res = await form('/dashboard/d/kgi-failed/rerun', operateSession, { reason: 'x' });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('did not come from the dashboard');
    expect(rewinds).toEqual([]);
  });

  it('a refused action shows why on the confirmation page, keeping what was typed', async () => {
    const res = await form('/dashboard/d/kgi-ready/rerun', operateSession, {
      csrf: csrfOf(operateSession),
      reason: 'let us see',
      flavor: 's6.large.2',
    });
    expect(res.status).toBe(409);
    const html = await res.text();
    expect(html).toContain('op_ready is succeeded');
    expect(html).toContain('value="s6.large.2"');
  });

  it('a confirmed rerun redirects to the deployment, audited with the token name', async () => {
    const confirm = await (await page('/dashboard/d/kgi-failed/rerun', operateSession)).text();
    expect(confirm).toContain(`value="${csrfOf(operateSession)}"`);
    expect(confirm).toContain('<option value="create-server">create-server</option>');
    const res = await form('/dashboard/d/kgi-failed/rerun', operateSession, {
      csrf: csrfOf(operateSession),
      reason: 'quota raised',
      from: '',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(
      '/dashboard/d/kgi-failed?done=rerun&from=create-server',
    );
    expect(rewinds).toEqual(['op_failed']);
    const audit = await (await page('/dashboard/audit', readSession)).text();
    expect(audit).toContain('ops-bob');
    expect(audit).toContain('quota raised');
  });
});

describe('live updates', () => {
  it('the SSE stream needs a session', async () => {
    expect((await app.request('/dashboard/events')).status).toBe(401);
  });

  it('streams a change naming the deployment that moved, and ends when the service stops', async () => {
    const res = await page('/dashboard/events', readSession);
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
