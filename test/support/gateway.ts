import { randomBytes } from 'node:crypto';
import type { Hono } from 'hono';
import { createApp } from '../../src/app/http.js';
import { idleDispatcher, type OperationDispatcher } from '../../src/deployments/dispatcher.js';
import { createLicenseIssuer } from '../../src/licenses/license-store.js';
import { loadOrCreateSigningKey } from '../../src/licenses/signing-key.js';
import type { GatewayDeps } from '../../src/marketplace/handlers/context.js';
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database.js';
import { createIds } from '../../src/platform/ids.js';
import { createSilentLogger } from '../../src/platform/logger.js';
import { createSecretBox } from '../../src/platform/secrets.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { createManualClock, type ManualClock } from './fakes/manual-clock.js';

export const KEY = 'demo-access-key-0001';
export const OTHER_KEY = 'rotated-access-key-0002';
export const BASE = 'http://kgd.test/koogallery/produce';

export interface GatewayHarness {
  app: Hono;
  deps: GatewayDeps;
  clock: ManualClock;
  database: DatabaseHandle;
  testDb: TestDatabase;
  masterKey: Buffer;
  /** Same database, new app and caches: what a restarted process would see. */
  restart(overrides?: Partial<GatewayDeps>): Promise<GatewayHarness>;
  close(): Promise<void>;
}

export async function createGatewayHarness(
  overrides: Partial<GatewayDeps> = {},
  shared?: { testDb: TestDatabase; masterKey: Buffer; clock: ManualClock },
): Promise<GatewayHarness> {
  const testDb = shared?.testDb ?? (await createTestDatabase());
  const clock = shared?.clock ?? createManualClock({ start: new Date('2026-11-23T08:00:00.000Z') });
  const masterKey = shared?.masterKey ?? randomBytes(32);
  const logger = createSilentLogger();
  const database = await openDatabase({ url: testDb.url, poolSize: 20, logger });
  const secretBox = createSecretBox(masterKey);
  const ids = createIds(clock);
  const signingKey = await loadOrCreateSigningKey({ db: database.db, secretBox, clock });
  const dispatcher: OperationDispatcher = overrides.dispatcher ?? idleDispatcher;
  const deps: GatewayDeps = {
    db: database.db,
    clock,
    ids,
    logger,
    secretBox,
    keys: [KEY, OTHER_KEY],
    encryptType: 1,
    publicUrl: 'https://deploy.example.com',
    producePath: '/koogallery/produce',
    v1MaxSkewMs: 300_000,
    v2MaxSkewMs: 60_000,
    answerDeadlineMs: 4000,
    maxBodyBytes: 65536,
    licenses: createLicenseIssuer({ key: signingKey, clock, ids }),
    dispatcher,
    ...overrides,
  };
  const app = createApp({ gateway: deps, engineReady: () => true });
  const harness: GatewayHarness = {
    app,
    deps,
    clock,
    database,
    testDb,
    masterKey,
    async restart(more = {}) {
      await database.close();
      return createGatewayHarness({ ...overrides, ...more }, { testDb, masterKey, clock });
    },
    async close() {
      await database.close();
      await testDb.drop();
    },
  };
  return harness;
}

export async function countRows(
  h: GatewayHarness,
  table: 'instances' | 'operations' | 'inbox' | 'replay_guard' | 'licenses',
) {
  const r = await h.database.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
