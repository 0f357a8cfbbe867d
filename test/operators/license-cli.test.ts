import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database.js';
import { createSilentLogger } from '../../src/platform/logger.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { kgd } from './support/cli-run.js';
import { seedInstance, seedLog, seedOperation } from './support/seed.js';

/** `kgd license events | reupload` (live License, spec §7) and `kgd license codes` (spec §8). */
let testDb: TestDatabase;
let database: DatabaseHandle;
let dir: string;
let env: Record<string, string>;
const run = (...argv: string[]) => kgd(env, argv);
const sha = 'a'.repeat(64);

beforeAll(async () => {
  testDb = await createTestDatabase('kgd_license_cli');
  dir = mkdtempSync(path.join(tmpdir(), 'kgd-license-cli-'));
  env = {
    DATABASE_URL: testDb.url,
    KGD_MASTER_KEY: randomBytes(32).toString('base64'),
    KGD_MARKETPLACE_KEYS: 'license-cli-test-key-0001',
    KGD_DATA_DIR: path.join(dir, 'data'),
    KGD_TEMPLATES_DIR: path.resolve('templates'),
  };
  database = await openDatabase({ url: testDb.url, poolSize: 2, logger: createSilentLogger() });
  const db = database.db;
  await seedInstance(db, 'kgi-live-1', { status: 'ready' });
  await seedOperation(db, 'op_evt-ok', 'kgi-live-1', {
    kind: 'license-upload',
    idempotency_key: 'license-upload:EVT-OK',
    status: 'succeeded',
  });
  await seedLog(
    db,
    'op_evt-ok',
    'kgi-live-1',
    `license uploaded for event EVT-OK to https://mkt.example.com: CBC.0000, license.key sha256 ${sha}`,
    { step: 'upload-license' },
  );
  await seedOperation(db, 'op_evt-bad', 'kgi-live-1', {
    kind: 'license-upload',
    idempotency_key: 'license-upload:EVT-BAD',
    status: 'failed',
    failed_step: 'upload-license',
    error: JSON.stringify({
      name: 'LicenseUploadRefused',
      message: 'license upload for event EVT-BAD failed with CBC.0150 (Illegal operation)',
    }),
  });
  await db
    .insertInto('license_codes')
    .values({
      code: 'LC-CLI-0001',
      product_id: 'OFFI-CODES',
      order_id: 'CS-CODES-1',
      order_line_id: 'CS-CODES-1-000001',
      instance_id: null,
      marketplace_status: 'ALIVE',
      frozen: true,
      released_at: null,
      expires_at: new Date('2027-11-23T08:00:00Z'),
      activated_at: new Date('2026-11-23T08:00:00Z'),
      answer: null,
      created_at: new Date('2026-11-23T08:00:00Z'),
      updated_at: new Date('2026-11-24T08:00:00Z'),
    })
    .execute();
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('kgd license events', () => {
  it('lists each event with its upload (host, sha256) or its error; --failed, --event, --json', async () => {
    const all = await run('license', 'events');
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/^EVENT\s+STATUS\s+AT\s+DEPLOYMENT\s+UPLOAD OR ERROR/);
    expect(all.stdout).toContain(`sha256 ${sha}`);
    expect(all.stdout).toContain('CBC.0150');
    const failed = await run('license', 'events', '--failed', '--json');
    expect(JSON.parse(failed.stdout)).toEqual([
      expect.objectContaining({ eventId: 'EVT-BAD', status: 'failed', upload: null }),
    ]);
    const one = JSON.parse((await run('license', 'events', '--event', 'EVT-OK', '--json')).stdout);
    expect(one).toEqual([
      expect.objectContaining({
        eventId: 'EVT-OK',
        operationId: 'op_evt-ok',
        instanceId: 'kgi-live-1',
        status: 'succeeded',
      }),
    ]);
  });

  it('reupload refuses an event already uploaded (one upload per event) and names an unknown one', async () => {
    const done = await run('license', 'reupload', 'EVT-OK', '--reason', 'again');
    expect(done.code).toBe(4);
    expect(done.stderr).toContain('was uploaded already');
    expect(done.stderr).toContain('one upload per event');
    const unknown = await run('license', 'reupload', 'EVT-NONE', '--reason', 'x');
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain('no license event EVT-NONE');
    const noReason = await run('license', 'reupload', 'EVT-BAD');
    expect(noReason.code).not.toBe(0);
    expect(noReason.stderr).toContain('--reason');
  });
});

describe('kgd license codes', () => {
  it('list shows the code, its state and the marketplace status; show --local prints it', async () => {
    const list = await run('license', 'codes', 'list');
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^CODE\s+STATE\s+MARKETPLACE\s+EXPIRES\s+ORDER\s+DEPLOYMENT/);
    expect(list.stdout).toMatch(/LC-CLI-0001\s+frozen\s+ALIVE\s+2027-11-23 08:00:00\s+CS-CODES-1/);
    const json = JSON.parse((await run('license', 'codes', 'list', '--json')).stdout);
    expect(json).toEqual([
      expect.objectContaining({ code: 'LC-CLI-0001', state: 'frozen', orderId: 'CS-CODES-1' }),
    ]);
    const show = await run('license', 'codes', 'show', 'LC-CLI-0001', '--local');
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain('LC-CLI-0001');
  });
});
