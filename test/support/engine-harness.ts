import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DBOS } from '@dbos-inc/dbos-sdk';
import type { Hono } from 'hono';
import { createApp } from '../../src/app/http.js';
import { fromHuaweiSdk } from '../../src/cloud/huawei-adapter.js';
import { parseHuaweiCloudSettings } from '../../src/cloud/huawei-settings.js';
import { createEngine, type Engine } from '../../src/deployments/engine.js';
import type { EngineDeps } from '../../src/deployments/flow-context.js';
import { createJournal } from '../../src/deployments/journal.js';
import { createLicenseIssuer } from '../../src/licenses/license-store.js';
import { loadOrCreateSigningKey } from '../../src/licenses/signing-key.js';
import type { GatewayDeps } from '../../src/marketplace/handlers/context.js';
import { createOrderQueryClient } from '../../src/marketplace/order-query-client.js';
import { systemClock } from '../../src/platform/clock.js';
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database.js';
import type { Instance, InstanceStatus } from '../../src/platform/db/schema.js';
import { launchDurableEngine } from '../../src/platform/durable.js';
import { createIds } from '../../src/platform/ids.js';
import {
  createMemoryLogger,
  createSecretScrubber,
  createSilentLogger,
} from '../../src/platform/logger.js';
import { createSecretBox } from '../../src/platform/secrets.js';
import { loadProductCatalog, type ProductCatalog } from '../../src/products/catalog.js';
import { fromSsh2 } from '../../src/remote/from-ssh2.js';
import { createSimulatedHosts } from '../../src/simulator/hosts/create-simulated-hosts.js';
import {
  type SimulatorHandle,
  type SimulatorOptions,
  simulatorDefaults,
  startSimulator,
} from '../../src/simulator/server.js';

import { createTestDatabase, type TestDatabase } from './database.js';
import { readAnswer, v1Request, v2Request } from './marketplace-calls.js';
import { waitFor } from './wait-for.js';

export const KEY = 'engine-test-key-0001';
const BASE = 'http://kgd.test/koogallery/produce';

export interface EngineHarness {
  app: Hono;
  databaseUrl: string;
  engine: Engine;
  sim: SimulatorHandle;
  database: DatabaseHandle;
  catalog: ProductCatalog;
  deps: EngineDeps;
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
  scale?: number;
  concurrency?: number;
}

/** Everything real except the cloud, which is the simulator with real SSH machines behind it. */
export async function createEngineHarness(options: HarnessOptions = {}): Promise<EngineHarness> {
  const testDb: TestDatabase = await createTestDatabase();
  const work = mkdtempSync(path.join(tmpdir(), 'kgd-engine-'));
  const scrubber = createSecretScrubber();
  const { logger, lines } = createMemoryLogger(scrubber);
  const quiet = createSilentLogger();
  const clock = systemClock;
  const ids = createIds(clock);
  const database = await openDatabase({ url: testDb.url, poolSize: 10, logger: quiet });
  const secretBox = createSecretBox(randomBytes(32));
  const hosts = createSimulatedHosts({ dataDir: path.join(work, 'sim'), logger: quiet });
  // Test files run in parallel: each simulator hands out EIPs from its own loopback /24.
  const eipPool = `127.${randomInt(30, 250)}.${randomInt(0, 256)}.0/24`;
  const sim = await startSimulator({
    timeScale: 0.01,
    hosts,
    logger: quiet,
    seed: 7,
    eipPool,
    // The simulated KooGallery answers the engine's order queries (V2) for its MOCK debug orders.
    marketplace: {
      logger: quiet,
      config: {
        key: KEY,
        sellerCredentials: [{ ak: simulatorDefaults.ak, sk: simulatorDefaults.sk }],
        mockProduct: { productId: 'OFFI-DEMO-LICENSE-MONTH', skuCode: 'basic' },
      },
    },
    ...options.simulator,
  });

  const settings = parseHuaweiCloudSettings({
    region: sim.region,
    projectId: sim.projectId,
    ak: sim.ak,
    sk: sim.sk,
    endpoint: sim.endpoint,
    retry: { attempts: 6, baseDelayMs: 10, maxDelayMs: 200 },
    readyTimeoutMs: 30_000,
  });
  const cloud = fromHuaweiSdk({ settings, logger: quiet, clock });
  const catalog = loadProductCatalog(options.templatesDir ?? path.resolve('templates'));
  for (const p of catalog.products) {
    if (p.kind === 'image') {
      for (const imageId of Object.values(p.compute.images)) {
        sim.registerImage({
          id: imageId,
          name: `${p.name} image`,
          filesDir: path.join(p.dir, 'image'),
        });
      }
    }
  }
  const signingKey = await loadOrCreateSigningKey({ db: database.db, secretBox, clock });
  const licenses = createLicenseIssuer({ key: signingKey, clock, ids });
  const deps: EngineDeps = {
    db: database.db,
    clock,
    ids,
    logger,
    secretBox,
    scrubber,
    cloud,
    remote: fromSsh2({ logger: quiet }),
    catalog,
    licenses,
    region: sim.region,
    orderQuery: createOrderQueryClient({
      baseUrl: sim.endpoint,
      ak: sim.ak,
      sk: sim.sk,
      clock,
      timeoutMs: 5000,
    }),
    workDir: work,
    scale: options.scale ?? 0.05,
    journal: createJournal({ db: database.db, logger, scrubber, now: () => clock.now() }),
  };
  const engine = createEngine(deps, {
    concurrency: options.concurrency ?? 20,
    sweepIntervalMs: 500,
    queuePollMs: 50,
  });
  const durable = await launchDurableEngine({
    databaseUrl: testDb.url,
    logger: quiet,
    executorId: `test-${randomBytes(3).toString('hex')}`,
    appVersion: 'test',
  });
  await engine.start();
  const gateway: GatewayDeps = {
    db: database.db,
    clock,
    ids,
    logger: quiet,
    secretBox,
    keys: [KEY],
    encryptType: 1,
    publicUrl: 'https://deploy.example.com',
    producePath: '/koogallery/produce',
    v1MaxSkewMs: 300_000,
    v2MaxSkewMs: 60_000,
    answerDeadlineMs: 4000,
    maxBodyBytes: 65536,
    licenses,
    dispatcher: engine.dispatcher,
  };
  const app = createApp({ gateway, engineReady: () => true });
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
    databaseUrl: testDb.url,
    engine,
    sim,
    database,
    catalog,
    deps,
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
      await engine.stop();
      await durable.shutdown();
      await sim.stop();
      await hosts.close();
      await database.close();
      await testDb.drop();
      rmSync(work, { recursive: true, force: true });
      void DBOS;
    },
  };
}

export { BASE, v2Request };
