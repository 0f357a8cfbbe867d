import { describe, expect, it, onTestFailed } from 'vitest';
import { useCluster } from '../support/cluster.js';
import { waitFor } from '../support/wait-for.js';

const fixture = useCluster();
const { count } = fixture;

describe('a replica stopped mid-deploy and revived after its work was taken over', () => {
  it('stops on revival (exit 75) without writing, and the other replica finishes every order once', async () => {
    onTestFailed(() => console.error(fixture.cluster.logs()));
    const a = await fixture.cluster.serve('replica-a');
    const b = await fixture.cluster.serve('replica-b');
    const orders = Array.from({ length: 6 }, (_, i) => `REVIVE-${i}`);
    for (const orderId of orders)
      expect((await fixture.cluster.buy(a.url, orderId))?.resultCode).toBe('000000');
    await waitFor(
      'replica A to be running operations',
      async () =>
        (await count(
          "SELECT count(*) AS n FROM dbos.workflow_status WHERE executor_id = 'replica-a' AND status = 'PENDING'",
        )) > 0,
      { timeoutMs: 60_000, intervalMs: 20 },
    );
    // Paused, as a process starved or stopped by its host is: it neither renews nor writes.
    a.child.kill('SIGSTOP');
    const { rows } = await waitFor(
      'replica B to take replica A over',
      async () => {
        const r = await fixture.query(
          "SELECT heartbeat_at, reaped_at FROM executors WHERE id = 'replica-a' AND reaped_at IS NOT NULL",
        );
        return r.rows.length > 0 ? r : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    // Taken over only after the lease (4 s) and its margin had passed.
    expect(rows[0].reaped_at.getTime() - rows[0].heartbeat_at.getTime()).toBeGreaterThanOrEqual(
      4000,
    );
    a.child.kill('SIGCONT');
    expect(await a.exited).toBe(75);
    expect(a.output()).toMatch(/revoked/);

    await waitFor(
      'every deployment to be ready and every workflow to have ended',
      async () =>
        (await count("SELECT count(*) AS n FROM instances WHERE status = 'ready'")) ===
          orders.length &&
        (await count(
          "SELECT count(*) AS n FROM dbos.workflow_status WHERE status IN ('PENDING', 'ENQUEUED')",
        )) === 0,
      { timeoutMs: 180_000, intervalMs: 500 },
    );
    expect(await count("SELECT count(*) AS n FROM operations WHERE status <> 'succeeded'")).toBe(0);
    const ids = (await fixture.query('SELECT id FROM instances')).rows.map((r) => r.id as string);
    const inventory = await fixture.cluster.sim.inventory(ids);
    for (const id of ids)
      expect([id, inventory.servers.filter((s) => s.tags['kgd-instance'] === id).length]).toEqual([
        id,
        1,
      ]);
    expect(inventory.orphans).toEqual([]);
    // Restarted under a new epoch, the replica works again.
    const again = await fixture.cluster.serve('replica-a');
    expect(
      await count("SELECT count(*) AS n FROM executors WHERE id = 'replica-a' AND epoch = 2"),
    ).toBe(1);
    await again.stop();
    await b.stop();
  }, 600_000);
});
