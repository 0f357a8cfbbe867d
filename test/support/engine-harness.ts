import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Hono } from 'hono';
import { composeService, type Service } from '../../src/app/compose-service.js';
import { simulatedAdapters } from '../../src/app/simulated.js';
import type { Engine } from '../../src/deployments/engine/engine.js';
import { systemClock } from '../../src/platform/clock.js';
import type { DatabaseHandle } from '../../src/platform/db/database.js';
import type { Instance, InstanceStatus } from '../../src/platform/db/schema.js';
import { loadProductCatalog, type ProductCatalog } from '../../src/products/catalog.js';
import { createSimulatedHosts } from '../../src/simulator/hosts/create-simulated-hosts.js';
import {
  type SimulatorHandle,
  type SimulatorOptions,
  simulatorDefaults,
} from '../../src/simulator/server.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { readAnswer, v1Request, v2Request } from './marketplace-calls.js';
import { openTestRuntime } from './runtime.js';
import { waitFor } from './wait-for.js';

export const KEY = 'engine-test-key-0001';
const BASE = 'http://kgd.test/koogallery/produce';

export interface EngineHarness {
  /** The whole service's app (gateway, status pages, admin API, dashboard), as `kgd serve` has it. */
  app: Hono;
  service: Service;
  databaseUrl: string;
  engine: Engine;
  sim: SimulatorHandle;
  database: DatabaseHandle;
  catalog: ProductCatalog;
  logs: string[];
  /** V1 newInstance for a product; resolves to the instanceId. */
  buy(params: Record<string, string>): Promise<string>;
  v1(params: Record<string, string>): Promise<Record<string, unknown>>;
  v2(body: Record<string, unknown>): Promise<Record<string, unknown>>;
  instance(id: string): Promise<Instance>;
  waitForStatus(
    id: string,
    status: InstanceStatus | InstanceStatus[],
    timeoutMs?: number,
  ): Promise<Instance>;
  waitForOperations(id: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  templatesDir?: string;
  simulator?: SimulatorOptions;
  concurrency?: number;
  /** More settings (KGD_ALERT_WEBHOOK_URL...). */
  env?: Record<string, string>;
  /** Alert conditions looked at this often, notices sent as often (default: the service's). */
  alertsEveryMs?: number;
}

/**
 * The service as `kgd serve` composes it (composeService), on a test database, against the
 * simulator with real SSH machines behind it, fast (simulated durations at 1 %).
 */
export async function createEngineHarness(options: HarnessOptions = {}): Promise<EngineHarness> {
  const testDb: TestDatabase = await createTestDatabase();
  const work = mkdtempSync(path.join(tmpdir(), 'kgd-engine-'));
  const templatesDir = options.templatesDir ?? path.resolve('templates');
  const runtime = await openTestRuntime({
    databaseUrl: testDb.url,
    keys: [KEY],
    env: {
      KGD_TEMPLATES_DIR: templatesDir,
      KGD_ENGINE_CONCURRENCY: String(options.concurrency ?? 20),
      ...options.env,
    },
  });
  const catalog = loadProductCatalog(templatesDir);
  const quiet = runtime.logger.child({ component: 'sim' }, { level: 'warn' });
  const hosts = createSimulatedHosts({ dataDir: path.join(work, 'sim'), logger: quiet });
  const adapters = await simulatedAdapters(
    runtime.config,
    {
      logger: runtime.logger,
      clock: systemClock,
      catalog,
      marketplaceKey: KEY,
      scrubber: runtime.scrubber,
    },
    {
      hosts,
      simulator: {
        port: 0,
        timeScale: 0.01,
        seed: 7,
        logger: quiet,
        // Test files run in parallel: each simulator hands out EIPs from its own loopback /24.
        eipPool: `127.${randomInt(30, 250)}.${randomInt(0, 256)}.0/24`,
        // The simulated KooGallery answers the engine's order queries (V2) for its MOCK orders.
        marketplace: {
          logger: quiet,
          config: {
            key: KEY,
            sellerCredentials: [{ ak: simulatorDefaults.ak, sk: simulatorDefaults.sk }],
            mockProduct: { productId: 'OFFI-DEMO-LICENSE-MONTH', skuCode: 'basic' },
          },
        },
        ...options.simulator,
      },
    },
  );
  const service = await composeService(runtime, adapters, {
    clock: systemClock,
    catalog,
    executorId: `test-${randomBytes(3).toString('hex')}`,
    appVersion: 'test',
    engine: { sweepIntervalMs: 500, queuePollMs: 50 },
    ...(options.alertsEveryMs
      ? { alerts: { tickMs: options.alertsEveryMs, evaluateEveryMs: options.alertsEveryMs } }
      : {}),
  });
  await service.start();
  const app = service.app;
  const database = runtime.database;
  const lines = runtime.lines;
  let stamp = Date.now();
  const v1 = async (params: Record<string, string>) => {
    stamp = Math.max(stamp + 1, Date.now());
    return (await readAnswer(await app.request(v1Request(BASE, params, KEY, new Date(stamp))), KEY))
      .body;
  };
  const v2 = async (body: Record<string, unknown>) =>
    (await readAnswer(await app.request(v2Request(BASE, body, KEY, new Date())), KEY)).body;
  const instance = async (id: string) =>
    database.db.selectFrom('instances').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  return {
    app,
    service,
    databaseUrl: testDb.url,
    engine: service.engine,
    sim: adapters.simulator!.handle,
    database,
    catalog,
    logs: lines,
    v1,
    v2,
    async buy(params) {
      const answer = await v1({
        activity: 'newInstance',
        businessId: randomBytes(6).toString('hex'),
        orderId: `ORD-${randomBytes(5).toString('hex')}`,
        customerId: 'cust-1',
        customerName: 'Acme Buyer',
        productId: 'OFFI-DEMO-LICENSE-MONTH',
        skuCode: 'basic',
        chargingMode: '1',
        periodType: 'month',
        periodNumber: '1',
        expireTime: '20271231000000',
        ...params,
      });
      if (answer.resultCode !== '000000') throw new Error(`buy failed: ${JSON.stringify(answer)}`);
      return answer.instanceId as string;
    },
    instance,
    async waitForStatus(id, status, timeoutMs = 90_000) {
      const wanted = Array.isArray(status) ? status : [status];
      let last: Instance | undefined;
      await waitFor(
        `instance ${id} to be ${wanted.join(' or ')}`,
        async () => {
          last = await instance(id);
          return wanted.includes(last.status) ? last : undefined;
        },
        { timeoutMs, intervalMs: 100 },
      ).catch((err) => {
        throw new Error(
          `${(err as Error).message}; it is ${last?.status} (${last?.status_detail ?? ''})\n${lines.slice(-30).join('\n')}`,
        );
      });
      return last!;
    },
    async waitForOperations(id, timeoutMs = 90_000) {
      await waitFor(
        `operations of ${id} to finish`,
        async () => {
          const open = await database.db
            .selectFrom('operations')
            .select('id')
            .where('instance_id', '=', id)
            .where('status', 'in', ['pending', 'running'])
            .execute();
          return open.length === 0;
        },
        { timeoutMs, intervalMs: 100 },
      );
    },
    async close() {
      await service.stop();
      await adapters.close();
      await hosts.close();
      await runtime.close();
      await testDb.drop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
