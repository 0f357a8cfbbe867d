import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/app/runtime.js';
import type { StepRecord, WorkflowControl } from '../../src/deployments/engine/workflow-control.js';
import { createToken, revokeToken } from '../../src/operators/auth/tokens.js';
import type { ChangeFeed } from '../../src/operators/dashboard/change-feed.js';
import { systemClock } from '../../src/platform/clock.js';
import type { DatabaseHandle } from '../../src/platform/db/database.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { readAnswer, v1Request } from '../support/marketplace-calls.js';
import { openTestRuntime } from '../support/runtime.js';
import { json } from './support/json.js';
import { createOperatorApp, PRODUCE_PATH } from './support/operator-app.js';
import { seedInstance, seedLog, seedOperation } from './support/seed.js';

const KEY = 'admin-api-test-key-0001';
let testDb: TestDatabase;
let database: DatabaseHandle;
let runtime: Runtime;
let app: Hono;
let feed: ChangeFeed;
let readToken: string;
let operateToken: string;
let revokedToken: string;
const rewinds: Array<{ workflowId: string; startStep: number }> = [];

/** DBOS's record of each workflow's steps, as the engine left them (a typed fake of the port). */
const recorded: Record<string, StepRecord[]> = {
  'op_failed-1': [
    { functionId: 0, name: 'begin', error: null, startedAt: 1000, completedAt: 1010 },
    { functionId: 1, name: 'plan', error: null, startedAt: 1010, completedAt: 1020 },
    { functionId: 2, name: 'ensure-network', error: null, startedAt: 1020, completedAt: 3020 },
    { functionId: 3, name: 'create-server', error: 'sold out', startedAt: 3020, completedAt: 3500 },
  ],
};
const workflows: WorkflowControl = {
  listSteps: async (id) => recorded[id] ?? [],
  rewind: async (workflowId, options) => {
    rewinds.push({ workflowId, startStep: options.startStep });
  },
  close: async () => {},
};

const get = (path: string, token?: string) =>
  app.request(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
const post = (path: string, body: unknown, token?: string) =>
  app.request(path, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  testDb = await createTestDatabase('kgd_ops_api');
  runtime = await openTestRuntime({
    databaseUrl: testDb.url,
    keys: [KEY],
    env: { KGD_LOG_LEVEL: 'silent' },
  });
  database = runtime.database;
  const db = database.db;
  const clock = systemClock;
  ({ app, feed } = await createOperatorApp({ runtime, clock, workflows }));
  readToken = (await createToken(db, clock, { name: 'grafana', scope: 'read', createdBy: 't' }))
    .token;
  operateToken = (
    await createToken(db, clock, { name: 'ops-alice', scope: 'operate', createdBy: 't' })
  ).token;
  revokedToken = (await createToken(db, clock, { name: 'old', scope: 'operate', createdBy: 't' }))
    .token;
  await revokeToken(db, clock, 'old');
  await seedInstance(db, 'kgi-ready-1', { status: 'ready' });
  await seedOperation(db, 'op_ready-1', 'kgi-ready-1', { status: 'succeeded' });
  await seedInstance(db, 'kgi-failed-1', {
    status: 'failed',
    status_detail: 'sold out',
    created_at: new Date('2026-03-02T03:00:00Z'),
  });
  await seedOperation(db, 'op_failed-1', 'kgi-failed-1', {
    status: 'failed',
    failed_step: 'create-server',
    error: JSON.stringify({ message: 'sold out' }),
  });
  await seedLog(db, 'op_failed-1', 'kgi-failed-1', 'create-server: sold out', {
    step: 'create-server',
    level: 'error',
  });
});

afterAll(async () => {
  feed?.close();
  await runtime?.close();
  await testDb?.drop();
});

describe('OpenAPI document', () => {
  it('is generated from the zod schemas, public, with bearer security and a scope per operation', async () => {
    const res = await app.request('/admin/openapi.json');
    expect(res.status).toBe(200);
    const doc = await json(res);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    for (const name of ['DeploymentSummary', 'DeploymentDetail', 'Step', 'AuditEntry', 'Error'])
      expect(doc.components.schemas).toHaveProperty(name);
    expect(doc.paths['/admin/deployments/{id}/rerun'].post['x-kgd-scope']).toBe('operate');
    expect(
      doc.paths['/admin/deployments/{id}/rerun'].post.requestBody.content['application/json']
        .schema,
    ).toEqual({ $ref: '#/components/schemas/RerunRequest' });
    expect(
      doc.paths['/admin/deployments'].get.parameters.map((p: { name: string }) => p.name),
    ).toEqual(['status', 'product', 'customer', 'since', 'limit']);
  });
});

/**
 * The shared auth suite: every operation the document lists (and the test checks the document
 * lists every /admin route the app serves) refuses a missing, malformed, unknown or revoked
 * token with 401, and a token of too small a scope with 403.
 */
describe('auth on every admin route', () => {
  const operations: Array<{ method: string; path: string; scope: 'read' | 'operate' }> = [];
  beforeAll(async () => {
    const doc = await json(await app.request('/admin/openapi.json'));
    for (const [path, item] of Object.entries(
      doc.paths as Record<
        string,
        Record<string, { 'x-kgd-scope': 'read' | 'operate'; security: unknown }>
      >,
    )) {
      for (const [method, op] of Object.entries(item)) {
        expect(op.security, `${method} ${path} documents its security`).toEqual([
          { bearerAuth: [] },
        ]);
        operations.push({ method: method.toUpperCase(), path, scope: op['x-kgd-scope'] });
      }
    }
  });

  it('the document covers every /admin route the app serves', () => {
    const served = new Set(
      app.routes
        .filter((r) => r.path.startsWith('/admin') && r.method !== 'ALL')
        .map((r) => `${r.method} ${r.path}`),
    );
    served.delete('GET /admin/openapi.json');
    const documented = new Set(
      operations.map((o) => `${o.method} ${o.path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    expect([...served].sort()).toEqual([...documented].sort());
    expect(operations.length).toBeGreaterThanOrEqual(13);
  });

  const call = (o: { method: string; path: string }, token?: string) => {
    const path = o.path.replace('{id}', o.path.startsWith('/admin/inbox') ? '1' : 'kgi-ready-1');
    return o.method === 'GET' ? get(path, token) : post(path, { reason: 'auth suite' }, token);
  };

  it('401 without a valid token, with WWW-Authenticate', async () => {
    for (const o of operations) {
      for (const token of [
        undefined,
        'not-a-token',
        `kgd_000000000000_${'A'.repeat(43)}`,
        revokedToken,
      ]) {
        const res = await call(o, token);
        expect(res.status, `${o.method} ${o.path} with ${token ?? 'no token'}`).toBe(401);
        expect(res.headers.get('www-authenticate')).toContain('Bearer');
        expect((await json(res)).error.code).toBe('UNAUTHENTICATED');
      }
      // A token sent as a query parameter or a cookie is not a bearer token.
      const path = o.path.replace('{id}', '1');
      expect(
        (await app.request(`${path}?token=${operateToken}`, { method: o.method })).status,
      ).toBe(401);
    }
  });

  it('403 for a read token on operate routes; read routes admit it', async () => {
    for (const o of operations) {
      const res = await call(o, readToken);
      if (o.scope === 'operate') {
        expect(res.status, `${o.method} ${o.path}`).toBe(403);
        expect((await json(res)).error.code).toBe('FORBIDDEN');
      } else {
        expect([200, 404, 503], `${o.method} ${o.path}`).toContain(res.status);
      }
    }
    // The refused calls changed nothing and audited nothing.
    expect(rewinds).toEqual([]);
    expect(await database.db.selectFrom('audit_log').selectAll().execute()).toEqual([]);
  });
});

describe('reading', () => {
  it('deployments with counts and filters; 400 names a bad filter', async () => {
    const res = await get('/admin/deployments?status=failed', readToken);
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.items.map((d: { id: string }) => d.id)).toEqual(['kgi-failed-1']);
    expect(body.counts).toEqual({ ready: 1, failed: 1 });
    const bad = await get('/admin/deployments?since=soon', readToken);
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.message).toContain('since:');
  });

  it('a deployment with its steps, timings and errors; logs page by line id; 404 for an unknown id', async () => {
    const d = await json(await get('/admin/deployments/kgi-failed-1', readToken));
    expect(
      d.operations[0].steps.map((s: { name: string; status: string }) => `${s.name}:${s.status}`),
    ).toEqual(['begin:ok', 'plan:ok', 'ensure-network:ok', 'create-server:failed']);
    expect(d.operations[0].steps[2].durationMs).toBe(2000);
    expect(d.operations[0].steps[3].error).toBe('sold out');
    const page = await json(await get('/admin/deployments/kgi-failed-1/logs', readToken));
    expect(page.lines).toHaveLength(1);
    const after = await json(
      await get(`/admin/deployments/kgi-failed-1/logs?after=${page.next}`, readToken),
    );
    expect(after).toEqual({ lines: [], next: page.next, open: false });
    const missing = await get('/admin/deployments/kgi-nope', readToken);
    expect(missing.status).toBe(404);
    expect((await json(missing)).error).toEqual({
      code: 'NOT_FOUND',
      message: 'no deployment or operation kgi-nope',
    });
    const badAfter = await get('/admin/deployments/kgi-failed-1/logs?after=x', readToken);
    expect(badAfter.status).toBe(400);
    expect((await json(badAfter)).error.message).toContain('after: expected a line id');
  });

  it('the sweep says it needs a cloud when the process has none (503)', async () => {
    const res = await get('/admin/sweep', readToken);
    expect(res.status).toBe(503);
    expect((await json(res)).error.code).toBe('UNAVAILABLE');
  });
});

describe('acting', () => {
  it('validates the body, naming each field', async () => {
    const noReason = await post('/admin/deployments/kgi-failed-1/rerun', {}, operateToken);
    expect(noReason.status).toBe(400);
    expect((await json(noReason)).error.message).toContain('reason:');
    const badPort = await post(
      '/admin/deployments/kgi-failed-1/rerun',
      { reason: 'x', sshPort: 70000 },
      operateToken,
    );
    expect(badPort.status).toBe(400);
    expect((await json(badPort)).error.message).toContain('sshPort:');
    const notJson = await app.request('/admin/deployments/kgi-failed-1/rerun', {
      method: 'POST',
      headers: { authorization: `Bearer ${operateToken}`, 'content-type': 'text/plain' },
      body: 'reason=x',
    });
    expect(notJson.status).toBe(415);
  });

  it('refuses with 409 what the state does not allow, audited as refused', async () => {
    const res = await post(
      '/admin/deployments/kgi-ready-1/rerun',
      { reason: 'why not' },
      operateToken,
    );
    expect(res.status).toBe(409);
    expect((await json(res)).error.message).toContain('op_ready-1 is succeeded');
    const audit = await json(await get('/admin/audit?target=kgi-ready-1', readToken));
    expect(audit.items[0]).toMatchObject({
      actor: 'ops-alice',
      action: 'deployment.rerun',
      reason: 'why not',
      result: 'refused',
    });
  });

  it('reruns from the failed step with edits (restarting at the plan), audited with before and after', async () => {
    const res = await post(
      '/admin/deployments/kgi-failed-1/rerun',
      { reason: 'sold out: larger flavor', flavor: 's6.large.2' },
      operateToken,
    );
    expect(res.status).toBe(202);
    expect(await json(res)).toEqual({
      operationId: 'op_failed-1',
      from: 'plan',
      overrides: { flavor: 's6.large.2' },
    });
    expect(rewinds).toEqual([{ workflowId: 'op_failed-1', startStep: 1 }]);
    const d = await json(await get('/admin/deployments/kgi-failed-1', readToken));
    expect(d.deployment.status).toBe('deploying');
    const [entry] = (
      await json(await get('/admin/audit?action=deployment.rerun&target=kgi-failed-1', readToken))
    ).items;
    expect(entry).toMatchObject({
      actor: 'ops-alice',
      reason: 'sold out: larger flavor',
      result: 'ok',
      before: {
        instance: { status: 'failed' },
        operation: { status: 'failed', failedStep: 'create-server' },
      },
      after: {
        instance: { status: 'deploying' },
        operation: { status: 'running', overrides: { flavor: 's6.large.2' } },
      },
    });
  });

  it('replays an inbox entry through the gateway: the same answer for a resent purchase', async () => {
    const first = await readAnswer(
      await app.request(
        v1Request(
          `http://kgd.test${PRODUCE_PATH}`,
          {
            activity: 'newInstance',
            businessId: 'b-1',
            orderId: 'ORD-REPLAY-1',
            customerId: 'c-1',
            productId: 'OFFI-DEMO-LICENSE-MONTH',
            skuCode: 'basic',
            chargingMode: '1',
            periodType: 'month',
            periodNumber: '1',
            expireTime: '20271231000000',
          },
          KEY,
          new Date(),
        ),
      ),
      KEY,
    );
    expect(first.body.resultCode).toBe('000000');
    const { items } = await json(await get('/admin/inbox?activity=newInstance', readToken));
    const res = await post(
      `/admin/inbox/${items[0].id}/replay`,
      { reason: 'did the buyer get the same id?' },
      operateToken,
    );
    expect(res.status).toBe(200);
    const r = await json(res);
    expect(r.stored.resultCode).toBe('000000');
    expect(r.replayed.resultCode).toBe('000000');
    expect(r.replayed.answer.instanceId).toBe(first.body.instanceId);
    const calls = (await json(await get('/admin/inbox?activity=newInstance', readToken))).items;
    expect(calls).toHaveLength(2);
    expect(calls[0].duplicate).toBe(true);
    // Behind a read token unless KGD_METRICS_PUBLIC=1; a revoked token is refused.
    expect((await get('/metrics')).status).toBe(401);
    expect((await get('/metrics', revokedToken)).status).toBe(401);
    const metrics = await (await get('/metrics', readToken)).text();
    expect(metrics).toContain(
      'kgd_marketplace_calls_total{protocol="v1",activity="newInstance",result_code="000000"} 2',
    );
    // The rerun of the test above, counted from the audit log.
    expect(metrics).toContain('kgd_operator_reruns{action="deployment.rerun"} 1');
    expect((await post('/admin/inbox/999999/replay', { reason: 'x' }, operateToken)).status).toBe(
      404,
    );
  });
});
