import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { type Cluster, startCluster } from '../support/cluster.js';
import { waitFor } from '../support/wait-for.js';

let cluster: Cluster;
let pool: pg.Pool;
const adminUrl = process.env.KGD_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
beforeAll(async () => {
  cluster = await startCluster();
  pool = new pg.Pool({ connectionString: cluster.db.url, max: 2 });
  pool.on('error', () => {});
});
afterAll(async () => {
  await pool?.end();
  await cluster?.close();
});

const count = async (sql: string) => Number((await pool.query(sql)).rows[0].n);

/** Takes the test database away (every session ended, no new one accepted) for `ms`. */
async function outage(database: string, ms: number) {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`ALTER DATABASE ${database} WITH ALLOW_CONNECTIONS false`);
    await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database],
    );
    // The outage itself is the point of the test: a fixed length, not a wait for a state.
    await new Promise((r) => setTimeout(r, ms));
  } finally {
    await admin.query(`ALTER DATABASE ${database} WITH ALLOW_CONNECTIONS true`);
    await admin.end();
  }
}

describe('a PostgreSQL outage of 30 s mid-deploy', () => {
  // The process survives, its lease lapses and comes back; a workflow whose DBOS checkpoint or
  // outcome write failed in the outage (no execution left in the process, still PENDING on this
  // executor) is queued again by the reaper (engine/stranded.ts), not left for a restart.
  it('ends with every order finished, nothing duplicated, and the service still running', async () => {
    onTestFailed(() => console.error(cluster.logs()));
    const a = await cluster.serve('outage-a');
    const orders = Array.from({ length: 4 }, (_, i) => `OUTAGE-${i}`);
    for (const orderId of orders)
      expect((await cluster.buy(a.url, orderId))?.resultCode).toBe('000000');
    await waitFor(
      'deployments to be under way',
      async () =>
        (await count(
          "SELECT count(*) AS n FROM operations WHERE kind = 'deploy' AND status = 'running'",
        )) > 0,
      { timeoutMs: 60_000, intervalMs: 20 },
    );
    await outage(cluster.db.name, 30_000);
    expect(a.child.exitCode).toBeNull();

    await waitFor(
      'every deployment to be ready and every workflow to have ended',
      async () =>
        (await count("SELECT count(*) AS n FROM instances WHERE status = 'ready'")) ===
          orders.length &&
        (await count(
          "SELECT count(*) AS n FROM dbos.workflow_status WHERE status IN ('PENDING', 'ENQUEUED')",
        )) === 0,
      { timeoutMs: 240_000, intervalMs: 500 },
    ).catch(async (err) => {
      const state = await pool.query(
        'SELECT i.id, i.status, i.status_detail, o.kind, o.status AS op, o.failed_step, o.error, w.status AS wf FROM instances i JOIN operations o ON o.instance_id = i.id LEFT JOIN dbos.workflow_status w ON w.workflow_uuid = o.id',
      );
      throw new Error(`${err.message}\n${JSON.stringify(state.rows, null, 1)}`);
    });
    expect(a.child.exitCode).toBeNull();
    expect(await count("SELECT count(*) AS n FROM operations WHERE status <> 'succeeded'")).toBe(0);
    expect(await count('SELECT count(*) AS n FROM instances')).toBe(orders.length);
    const ids = (await pool.query('SELECT id FROM instances')).rows.map((r) => r.id as string);
    const inventory = await cluster.sim.inventory(ids);
    for (const id of ids)
      expect([id, inventory.servers.filter((s) => s.tags['kgd-instance'] === id).length]).toEqual([
        id,
        1,
      ]);
    expect(inventory.orphans).toEqual([]);
    await a.stop();
  }, 600_000);
});
