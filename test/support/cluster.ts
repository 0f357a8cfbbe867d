import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import type { Inventory } from '../../src/simulator/cloud/inspection.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { freePort, type KgdProcess, runKgd, serveKgd } from './kgd-process.js';
import { readAnswer, v1Request } from './marketplace-calls.js';
import { waitFor } from './wait-for.js';

/**
 * A service deployment as operators run it: `kgd simulator` in its own process (the cloud
 * outlives the service), a shared PostgreSQL database, and any number of `kgd serve` replicas
 * that tests start, kill and restart.
 */
const KEY = 'cluster-test-key-0001';

interface Sim {
  proc: KgdProcess;
  endpoint: string;
  ak: string;
  sk: string;
  projectId: string;
  inventory(live?: string[]): Promise<Inventory>;
}

async function startSimulatorProcess(options: {
  timeScale: number;
  dataDir: string;
}): Promise<Sim> {
  const port = await freePort();
  const eipPool = `127.${randomInt(30, 250)}.${randomInt(0, 256)}.0/24`;
  const proc = runKgd(
    [
      'simulator',
      '--port',
      String(port),
      '--time-scale',
      String(options.timeScale),
      '--eip-pool',
      eipPool,
      '--data-dir',
      options.dataDir,
      '--json',
    ],
    { KGD_LOG_LEVEL: 'warn' },
  );
  const info = await waitFor(
    'kgd simulator to print its endpoint',
    () => {
      if (proc.child.exitCode !== null) throw new Error(`kgd simulator exited:\n${proc.output()}`);
      const line = proc
        .output()
        .split('\n')
        .find((l) => l.startsWith('{"endpoint"'));
      return line
        ? (JSON.parse(line) as { endpoint: string; ak: string; sk: string; projectId: string })
        : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  );
  return {
    proc,
    ...info,
    async inventory(live) {
      const q = live ? `?live=${live.join(',')}` : '';
      return (await (await fetch(`${info.endpoint}/sim/inventory${q}`)).json()) as Inventory;
    },
  };
}

export interface Cluster {
  sim: Sim;
  db: TestDatabase;
  env(executorId: string): Record<string, string>;
  serve(executorId: string): Promise<KgdProcess & { url: string; port: number }>;
  /** Sends a signed V1 newInstance to a replica; resolves to the answer or undefined if it is down. */
  buy(
    url: string,
    orderId: string,
  ): Promise<{ instanceId?: string; resultCode?: string } | undefined>;
  /** What the simulator and every replica started so far printed (warnings and errors): for failures. */
  logs(): string;
  close(): Promise<void>;
}

export async function startCluster(options: { timeScale?: number } = {}): Promise<Cluster> {
  const work = mkdtempSync(path.join(tmpdir(), 'kgd-cluster-'));
  const db = await createTestDatabase();
  const sim = await startSimulatorProcess({
    timeScale: options.timeScale ?? 0.02,
    dataDir: path.join(work, 'sim'),
  });
  const masterKey = randomBytes(32).toString('base64');
  const running = new Set<KgdProcess>();
  const started: Array<[string, KgdProcess]> = [['kgd simulator', sim.proc]];
  const env = (executorId: string): Record<string, string> => ({
    DATABASE_URL: db.url,
    KGD_MASTER_KEY: masterKey,
    KGD_MARKETPLACE_KEYS: KEY,
    KGD_CLOUD_AK: sim.ak,
    KGD_CLOUD_SK: sim.sk,
    KGD_CLOUD_PROJECT_ID: sim.projectId,
    KGD_CLOUD_ENDPOINT: sim.endpoint,
    KGD_MARKETPLACE_API_URL: sim.endpoint,
    KGD_DATA_DIR: path.join(work, executorId),
    KGD_EXECUTOR_ID: executorId,
    KGD_REPLICA_TIMEOUT_SECONDS: '4',
    KGD_LOG_LEVEL: 'warn',
  });
  return {
    sim,
    db,
    env,
    async serve(executorId) {
      const port = await freePort();
      const proc = await serveKgd(env(executorId), port);
      running.add(proc);
      started.push([executorId, proc]);
      void proc.exited.then(() => running.delete(proc));
      return { ...proc, port };
    },
    async buy(url, orderId) {
      try {
        const params = {
          activity: 'newInstance',
          businessId: randomBytes(6).toString('hex'),
          orderId,
          customerId: 'c',
          customerName: 'Crash Buyer',
          productId: 'OFFI-DEMO-LICENSE-MONTH',
          skuCode: 'basic',
          chargingMode: '1',
          expireTime: '20271231000000',
        };
        const res = await fetch(v1Request(`${url}/koogallery/produce`, params, KEY, new Date()), {
          signal: AbortSignal.timeout(5000),
        });
        return (await readAnswer(res, KEY)).body as { instanceId?: string; resultCode?: string };
      } catch {
        return undefined;
      }
    },
    logs() {
      // The simulator's first line holds its credentials: not worth printing.
      const quiet = (out: string) =>
        out
          .split('\n')
          .filter((l) => !l.startsWith('{"endpoint"'))
          .join('\n');
      return started.map(([name, p]) => `--- ${name}\n${quiet(p.output())}`).join('\n');
    },
    async close() {
      for (const p of running) p.child.kill('SIGKILL');
      await Promise.all([...running].map((p) => p.exited));
      await sim.proc.stop();
      await db.drop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/**
 * A cluster for one test file: started before its tests, closed after; `count` and `query` read
 * its database (a small pool of the test's own).
 *
 * @example
 *   const c = useCluster();
 *   const a = await c.cluster.serve('replica-a');
 *   expect(await c.count("SELECT count(*) AS n FROM instances WHERE status = 'ready'")).toBe(1);
 */
export function useCluster(options: { timeScale?: number } = {}) {
  let cluster: Cluster | undefined;
  let pool: pg.Pool | undefined;
  beforeAll(async () => {
    cluster = await startCluster(options);
    pool = new pg.Pool({ connectionString: cluster.db.url, max: 2 });
  });
  afterAll(async () => {
    await pool?.end();
    await cluster?.close();
  });
  const query = (text: string, params: unknown[] = []) => pool!.query(text, params);
  return {
    get cluster(): Cluster {
      return cluster!;
    },
    query,
    /** The `n` column of a `SELECT count(*) AS n …`. */
    count: async (text: string, params: unknown[] = []) =>
      Number((await query(text, params)).rows[0].n),
  };
}
