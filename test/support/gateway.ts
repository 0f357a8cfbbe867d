import type { Hono } from 'hono';
import { composeGateway } from '../../src/app/compose-service.js';
import { createApp } from '../../src/app/http.js';
import type { Runtime } from '../../src/app/runtime.js';
import { idleDispatcher, type OperationDispatcher } from '../../src/deployments/dispatcher.js';
import { createLicenseIssuer } from '../../src/licenses/license-store.js';
import { loadOrCreateSigningKey } from '../../src/licenses/signing-key.js';
import type { GatewayDeps } from '../../src/marketplace/handlers/context.js';
import type { DatabaseHandle } from '../../src/platform/db/database.js';
import { createIds } from '../../src/platform/ids.js';
import { loadProductCatalog } from '../../src/products/catalog.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { createManualClock, type ManualClock } from './fakes/manual-clock.js';
import { type ParsedAnswer, readAnswer, v1Request, v2Request } from './marketplace-calls.js';
import { openTestRuntime } from './runtime.js';

export const KEY = 'demo-access-key-0001';
export const OTHER_KEY = 'rotated-access-key-0002';
export const BASE = 'http://kgd.test/koogallery/produce';

export interface GatewayHarness {
  app: Hono;
  deps: GatewayDeps;
  runtime: Runtime;
  clock: ManualClock;
  database: DatabaseHandle;
  testDb: TestDatabase;
  masterKey: Buffer;
  /** Same database, new process: what a restart with these settings would see. */
  restart(env?: Record<string, string>): Promise<GatewayHarness>;
  close(): Promise<void>;
}

/**
 * The gateway as the service composes it (composeGateway), with no engine behind it (operations
 * stay pending) and a manual clock. Settings come as environment variables, as in production.
 */
export async function createGatewayHarness(
  env: Record<string, string> = {},
  shared?: { testDb: TestDatabase; masterKey: Buffer; clock: ManualClock },
  dispatcher: OperationDispatcher = idleDispatcher,
): Promise<GatewayHarness> {
  const testDb = shared?.testDb ?? (await createTestDatabase());
  const clock = shared?.clock ?? createManualClock({ start: new Date('2026-11-23T08:00:00.000Z') });
  const runtime = await openTestRuntime({
    databaseUrl: testDb.url,
    keys: [KEY, OTHER_KEY],
    env: { KGD_LOG_LEVEL: 'silent', ...env },
    ...(shared ? { masterKey: shared.masterKey } : {}),
  });
  const ids = createIds(clock);
  const database = runtime.database;
  const signingKey = await loadOrCreateSigningKey({
    db: database.db,
    secretBox: runtime.secretBox,
    clock,
  });
  const deps = composeGateway(runtime, {
    clock,
    ids,
    licenses: createLicenseIssuer({ db: database.db, key: signingKey, clock, ids }),
    dispatcher,
    catalog: loadProductCatalog('templates'),
  });
  const app = createApp({ gateway: deps, engineReady: () => true });
  const harness: GatewayHarness = {
    app,
    deps,
    runtime,
    clock,
    database,
    testDb,
    masterKey: runtime.masterKey,
    async restart(more = {}) {
      await runtime.close();
      return createGatewayHarness(
        { ...env, ...more },
        { testDb, masterKey: runtime.masterKey, clock },
        dispatcher,
      );
    },
    async close() {
      await runtime.close();
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

/** A signed V1 call to the harness's gateway, its own timeStamp (the clock moves 1 ms), read back. */
export async function callV1(
  h: GatewayHarness,
  params: Record<string, string>,
): Promise<ParsedAnswer> {
  h.clock.advance(1);
  return readAnswer(await h.app.request(v1Request(BASE, params, KEY, h.clock.now())), KEY);
}

/** A signed V2 call to the harness's gateway (a string body is sent as it is), read back. */
export async function callV2(
  h: GatewayHarness,
  body: Record<string, unknown> | string,
): Promise<ParsedAnswer> {
  h.clock.advance(1);
  return readAnswer(await h.app.request(v2Request(BASE, body, KEY, h.clock.now())), KEY);
}
