import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateExpiry, marketplaceKeyRotation } from '../../src/alerts/certificate.js';
import {
  createQuotaUse,
  failingLicenseUploads,
  failingProbes,
  lateDeployments,
  lostReplicas,
} from '../../src/deployments/alerts.js';
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database.js';
import { createSilentLogger } from '../../src/platform/logger.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertInstanceRow, insertOperationRow } from '../support/store-rows.js';

/** The conditions behind the alerts, read from real tables (and a real TLS handshake). */
let testDb: TestDatabase;
let handle: DatabaseHandle;
const now = new Date();
const ago = (ms: number) => new Date(now.getTime() - ms);
const clock = { now: () => now, sleep: async () => {} };

beforeAll(async () => {
  testDb = await createTestDatabase('kgd_alert_conditions');
  handle = await openDatabase({ url: testDb.url, poolSize: 3, logger: createSilentLogger() });
});
afterAll(async () => {
  await handle?.close();
  await testDb?.drop();
});

describe('deployment conditions', () => {
  it('late: pending or deploying past the alert time, buyers only, with the window end', async () => {
    const db = handle.db;
    await insertInstanceRow(
      db,
      { id: 'kgi-late', status: 'deploying', created_at: ago(61 * 60_000) },
      now,
    );
    await insertInstanceRow(
      db,
      { id: 'kgi-young', status: 'deploying', created_at: ago(5 * 60_000) },
      now,
    );
    await insertInstanceRow(
      db,
      { id: 'kgi-late-test', status: 'pending', test: true, created_at: ago(2 * 3_600_000) },
      now,
    );
    const late = await lateDeployments({ db, clock, alertAfterMs: 60 * 60_000 });
    expect(late.map((a) => a.subject)).toEqual(['kgi-late']);
    expect(late[0]!.details!.retryWindowEndsAt).toBe(
      new Date(ago(61 * 60_000).getTime() + 3 * 3_600_000).toISOString(),
    );
  });

  it('license upload failing: the latest step of a running operation is a failed license attempt', async () => {
    const db = handle.db;
    await insertInstanceRow(db, { id: 'kgi-lic', status: 'deploying' }, now);
    await insertOperationRow(
      db,
      { id: 'op_lic', instance_id: 'kgi-lic', kind: 'deploy', status: 'running' },
      now,
    );
    const log = (step: string, level: 'info' | 'warn') =>
      db
        .insertInto('operation_logs')
        .values({
          operation_id: 'op_lic',
          instance_id: 'kgi-lic',
          at: now,
          level,
          step,
          stream: null,
          message: `${step}: ${level}`,
        })
        .execute();
    await log('upload-package', 'info');
    await log('install-license', 'warn');
    expect((await failingLicenseUploads({ db })).map((a) => a.subject)).toEqual(['kgi-lic']);
    await log('hook-start', 'info');
    expect(await failingLicenseUploads({ db })).toEqual([]);
  });

  it('probes: the latest debug call of an activity answered with a failure', async () => {
    const db = handle.db;
    const call = (activity: string, code: string, at: Date, test = true) =>
      db
        .insertInto('inbox')
        .values({
          received_at: at,
          protocol: 'v2',
          method: 'POST',
          activity,
          raw_sealed: 'x',
          parsed: '{}',
          idempotency_key: null,
          duplicate: false,
          instance_id: null,
          operation_id: null,
          test,
          key_index: 0,
          result_code: code,
          answer: '{}',
          duration_ms: 3,
        })
        .execute();
    await call('refreshInstance', '000000', ago(3_600_000));
    await call('refreshInstance', '000002', ago(60_000));
    await call('releaseInstance', '000005', ago(3_600_000));
    await call('releaseInstance', '000000', ago(60_000));
    await call('newInstance', '000005', ago(60_000), false); // a buyer's call: not a probe
    const failing = await failingProbes({ db, clock });
    expect(failing.map((a) => [a.subject, a.details!.resultCode])).toEqual([
      ['refreshInstance', '000002'],
    ]);
  });

  it('replica lost: stale heartbeat without a clean stop, within the last day', async () => {
    const db = handle.db;
    const executor = (id: string, heartbeat: Date, stopped: Date | null) =>
      db
        .insertInto('executors')
        .values({
          id,
          app_version: 't',
          started_at: ago(86_400_000),
          heartbeat_at: heartbeat,
          stopped_at: stopped,
          reaped_at: null,
        })
        .execute();
    await executor('kgd-alive', ago(1000), null);
    await executor('kgd-dead', ago(60_000), null);
    await executor('kgd-stopped', ago(60_000), ago(59_000));
    await executor('kgd-ancient', ago(3 * 86_400_000), null);
    const lost = await lostReplicas({ db, clock, deadAfterMs: 30_000 });
    expect(lost.map((a) => a.subject)).toEqual(['kgd-dead']);
  });

  it('create quota: 90 % of the per-minute creations used', async () => {
    const db = handle.db;
    for (let i = 0; i < 9; i++)
      await db
        .insertInto('cloud_rate_slots')
        .values({ api: 'ecs.createServers', at: new Date() })
        .execute();
    expect(await createQuotaUse({ db, limitPerMinute: 10 })).toHaveLength(1);
    expect(await createQuotaUse({ db, limitPerMinute: 100 })).toEqual([]);
  });
});

describe('certificate and key dates', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kgd-cert-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function serveCertificate(days: number) {
    const key = path.join(dir, `key-${days}.pem`);
    const cert = path.join(dir, `cert-${days}.pem`);
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        String(days),
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost',
      ],
      { stdio: 'ignore' },
    );
    const server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_q, s) =>
      s.end('ok'),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
      url: `https://localhost:${(server.address() as AddressInfo).port}`,
      ca: readFileSync(cert),
      close: () => new Promise<void>((r) => server.close(() => r())),
    };
  }

  it('alerts on a certificate expiring within the warning time, not on one valid longer', async () => {
    const soon = await serveCertificate(5);
    const later = await serveCertificate(90);
    try {
      const warnMs = 21 * 86_400_000;
      const a = await certificateExpiry({
        publicUrl: soon.url,
        now: new Date(),
        warnMs,
        ca: soon.ca,
      });
      expect(a).toHaveLength(1);
      expect(a[0]!.summary).toMatch(/expires in [45] day\(s\)/);
      expect(
        await certificateExpiry({ publicUrl: later.url, now: new Date(), warnMs, ca: later.ca }),
      ).toEqual([]);
      // Not trusted (no CA given): alerted whatever its dates.
      const untrusted = await certificateExpiry({ publicUrl: later.url, now: new Date(), warnMs });
      expect(untrusted[0]!.summary).toMatch(/is not trusted/);
      expect(
        await certificateExpiry({ publicUrl: 'http://127.0.0.1:1', now: new Date(), warnMs }),
      ).toEqual([]);
    } finally {
      await soon.close();
      await later.close();
    }
  });

  it('the marketplace key rotation date', () => {
    const warnMs = 21 * 86_400_000;
    const at = new Date('2027-03-01T00:00:00Z');
    expect(marketplaceKeyRotation({ rotateBy: '2027-03-31', now: at, warnMs })).toEqual([]);
    expect(marketplaceKeyRotation({ rotateBy: '2027-03-15', now: at, warnMs })[0]!.summary).toMatch(
      /14 day/,
    );
    expect(marketplaceKeyRotation({ rotateBy: undefined, now: at, warnMs })).toEqual([]);
  });
});
