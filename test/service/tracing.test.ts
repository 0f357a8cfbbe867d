import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningService, startService } from '../../src/app/serve.js';
import { simulatorDefaults } from '../../src/simulator/server.js';
import { startCaptureServer } from '../support/capture-server.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { readAnswer, v1Request } from '../support/marketplace-calls.js';
import { waitFor } from '../support/wait-for.js';

/**
 * `kgd serve` with OTEL_EXPORTER_OTLP_ENDPOINT set, against its embedded simulator: one purchase
 * reaches a local OTLP/HTTP (JSON) receiver as one trace — the marketplace call, its operation's
 * workflow, each step, each cloud SDK call and each SSH command and upload — with the order and
 * instance ids, and none of the secrets the service holds.
 */
const KEY = 'tracing-test-key-0001';
const masterKey = randomBytes(32).toString('base64');
const contactEmail = `buyer-${randomBytes(4).toString('hex')}@example.com`;
let receiver: Awaited<ReturnType<typeof startCaptureServer>>;
let testDb: TestDatabase;
let dir: string;
let service: RunningService | undefined;
const log: string[] = [];

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Array<{ key: string; value: OtlpValue }>;
}
interface Span {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  attributes: Record<string, string | number | boolean | undefined>;
}

function spansOf(body: unknown): Span[] {
  const out: Span[] = [];
  const resourceSpans = (body as { resourceSpans?: unknown[] }).resourceSpans ?? [];
  for (const rs of resourceSpans as Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }>)
    for (const ss of rs.scopeSpans)
      for (const s of ss.spans)
        out.push({
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId || undefined,
          name: s.name,
          attributes: Object.fromEntries(
            s.attributes.map((a) => [
              a.key,
              a.value.stringValue ??
                (a.value.intValue !== undefined ? Number(a.value.intValue) : a.value.boolValue),
            ]),
          ),
        });
  return out;
}

beforeAll(async () => {
  receiver = await startCaptureServer();
  testDb = await createTestDatabase('kgd_tracing');
  dir = mkdtempSync(path.join(tmpdir(), 'kgd-tracing-'));
  service = await startService(
    {
      DATABASE_URL: testDb.url,
      KGD_MASTER_KEY: masterKey,
      KGD_MARKETPLACE_KEYS: KEY,
      KGD_DATA_DIR: path.join(dir, 'data'),
      KGD_TEMPLATES_DIR: path.resolve('templates'),
      KGD_PORT: '0',
      KGD_SIM_PORT: '0',
      KGD_HOST: '127.0.0.1',
      KGD_SIM_TIME_SCALE: '0.01',
      KGD_LOG_LEVEL: 'info',
      KGD_EXECUTOR_ID: `tracing-${randomBytes(3).toString('hex')}`,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: 'kgd-tracing-test',
    },
    {
      logDestination: new Writable({
        write(chunk, _e, done) {
          log.push(chunk.toString());
          done();
        },
      }),
      // Test files run in parallel: this simulator's EIPs come from a loopback /24 of its own.
      simulated: { simulator: { eipPool: `127.${randomInt(30, 250)}.${randomInt(0, 256)}.0/24` } },
    },
  );
});

afterAll(async () => {
  await service?.stop();
  await receiver?.close();
  await testDb?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('OpenTelemetry tracing', () => {
  it('one purchase is one trace from the call through its steps to each cloud and SSH call', async () => {
    const running = service!;
    const orderId = `ORD-TRACE-${randomBytes(4).toString('hex')}`;
    const answer = await readAnswer(
      await fetch(
        v1Request(
          `${running.url}/koogallery/produce`,
          {
            activity: 'newInstance',
            businessId: `b-${randomBytes(4).toString('hex')}`,
            orderId,
            customerId: 'c-trace',
            customerName: 'Trace Buyer',
            email: contactEmail,
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
    expect(answer.body.resultCode).toBe('000000');
    const instanceId = answer.body.instanceId as string;
    const db = running.runtime.database.db;
    const ready = await waitFor(
      `deployment ${instanceId} ready`,
      async () => {
        const row = await db
          .selectFrom('instances')
          .selectAll()
          .where('id', '=', instanceId)
          .executeTakeFirstOrThrow();
        if (row.status === 'failed') throw new Error(`deploy failed: ${row.status_detail}`);
        return row.status === 'ready' ? row : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 200 },
    );
    const secrets = [
      KEY,
      masterKey,
      Buffer.from(masterKey, 'base64').toString('hex'),
      simulatorDefaults.sk,
      contactEmail,
      running.runtime.secrets.rootPassword(ready),
      running.runtime.secrets.appPassword(ready),
    ].filter((s): s is string => typeof s === 'string' && s.length > 0);
    expect(secrets.length).toBeGreaterThanOrEqual(6);

    // Stopping flushes the spans still buffered.
    await running.stop();
    service = undefined;

    const exports = receiver.received.filter((r) => r.url.pathname === '/v1/traces');
    expect(exports.length).toBeGreaterThan(0);
    expect(exports[0]!.headers['content-type']).toContain('application/json');
    const spans = exports.flatMap((r) => spansOf(r.json));

    const call = spans.find(
      (s) => s.name === 'marketplace call' && s.attributes['kgd.order_id'] === orderId,
    );
    expect(call, 'the marketplace call span').toBeDefined();
    expect(call!.attributes).toMatchObject({
      'kgd.activity': 'newInstance',
      'kgd.instance_id': instanceId,
      'kgd.result_code': '000000',
    });
    const trace = spans.filter((s) => s.traceId === call!.traceId);
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const ancestors = (s: Span) => {
      const names: string[] = [];
      for (let p = s.parentSpanId && byId.get(s.parentSpanId); p; ) {
        names.push(p.name);
        p = p.parentSpanId ? byId.get(p.parentSpanId) : undefined;
      }
      return names;
    };

    const operation = trace.find(
      (s) => s.name === 'operation' && s.attributes['kgd.operation_kind'] === 'deploy',
    );
    expect(operation, 'the deploy workflow span').toBeDefined();
    expect(operation!.parentSpanId).toBe(call!.spanId);
    expect(operation!.attributes).toMatchObject({
      'kgd.instance_id': instanceId,
      'kgd.order_id': orderId,
      'kgd.outcome': 'succeeded',
    });

    const steps = trace.filter((s) => s.name.startsWith('step '));
    const stepNames = new Set(steps.map((s) => s.attributes['kgd.step']));
    for (const step of ['begin', 'plan', 'finish']) expect(stepNames).toContain(step);
    for (const s of steps) {
      expect(s.parentSpanId).toBe(operation!.spanId);
      expect(s.attributes['kgd.instance_id'] ?? instanceId).toBe(instanceId);
    }

    const cloud = trace.filter((s) => s.name.startsWith('cloud '));
    expect(cloud.map((s) => s.attributes['kgd.cloud.operation'])).toEqual(
      expect.arrayContaining(['ecs.createPostPaidServers', 'ecs.showJob']),
    );
    for (const s of cloud) expect(ancestors(s)[0]).toMatch(/^step /);

    const ssh = trace.filter((s) => s.name.startsWith('ssh '));
    const sshKinds = new Set(ssh.map((s) => s.name));
    for (const kind of ['ssh connect', 'ssh exec', 'ssh upload']) expect(sshKinds).toContain(kind);
    for (const s of ssh) expect(ancestors(s)).toContain('operation');
    expect(ssh.some((s) => s.name === 'ssh exec' && s.attributes['kgd.ssh.exit_code'] === 0)).toBe(
      true,
    );

    // Nothing the service keeps secret is in what it exported.
    const payload = exports.map((r) => r.raw.toString('utf8')).join('\n');
    for (const secret of secrets) expect(payload).not.toContain(secret);
    expect(payload).not.toMatch(/authorization|x-sdk-date|password/i);
  });
});
