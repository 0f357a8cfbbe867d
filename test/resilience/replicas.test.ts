import { describe, expect, it, onTestFailed } from 'vitest';
import { useCluster } from '../support/cluster.js';
import { waitFor } from '../support/wait-for.js';

const fixture = useCluster();
const { count } = fixture;

describe('two replicas on one PostgreSQL', () => {
  it('finishes the work of a replica that died for good', async () => {
    // The simulator logs what the replicas cannot see (a server whose machine failed to boot).
    onTestFailed(() => console.error(fixture.cluster.logs()));
    const a = await fixture.cluster.serve('replica-a');
    const b = await fixture.cluster.serve('replica-b');
    const orders = Array.from({ length: 10 }, (_, i) => `REPL-${i}`);
    for (const [i, orderId] of orders.entries()) {
      const answer = await fixture.cluster.buy(i % 2 === 0 ? a.url : b.url, orderId);
      expect(answer?.resultCode).toBe('000000');
    }
    // Kill A while it holds unfinished operations.
    await waitFor(
      'replica A to be running operations',
      async () =>
        (await count(
          "SELECT count(*) AS n FROM dbos.workflow_status WHERE executor_id = 'replica-a' AND status = 'PENDING'",
        )) > 0,
      { timeoutMs: 60_000, intervalMs: 20 },
    );
    const orphaned = await count(
      "SELECT count(*) AS n FROM dbos.workflow_status WHERE executor_id = 'replica-a' AND status = 'PENDING'",
    );
    a.child.kill('SIGKILL');
    await a.exited;

    // An instance is ready one step before its workflow ends (the operation's finish step, then
    // DBOS records the outcome): wait for both, or a busy machine catches a workflow in between.
    await waitFor(
      'every deployment to be ready and every workflow to have ended',
      async () =>
        (await count("SELECT count(*) AS n FROM instances WHERE status = 'ready'")) ===
          orders.length &&
        (await count(
          "SELECT count(*) AS n FROM dbos.workflow_status WHERE status IN ('PENDING', 'ENQUEUED')",
        )) === 0,
      {
        timeoutMs: 180_000,
        intervalMs: 500,
      },
    );
    expect(
      await count(
        "SELECT count(*) AS n FROM executors WHERE id = 'replica-a' AND reaped_at IS NOT NULL",
      ),
    ).toBe(1);
    expect(await count("SELECT count(*) AS n FROM operations WHERE status <> 'succeeded'")).toBe(0);
    const ids = (await fixture.query('SELECT id FROM instances')).rows.map((r) => r.id as string);
    const inventory = await fixture.cluster.sim.inventory(ids);
    for (const id of ids)
      expect([id, inventory.servers.filter((s) => s.tags['kgd-instance'] === id).length]).toEqual([
        id,
        1,
      ]);
    expect(inventory.orphans).toEqual([]);
    console.log(
      `replica test: replica A killed holding ${orphaned} unfinished operation(s); replica B finished all ${orders.length} deployments`,
    );
    await b.stop();
  }, 600_000);
});
