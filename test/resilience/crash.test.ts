import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useCluster } from '../support/cluster.js';
import { waitFor } from '../support/wait-for.js';

const fixture = useCluster();
const { count } = fixture;

describe('SIGKILL at random points during deploys', () => {
  it('completes every deployment after twenty kills, with no duplicate server and nothing leaked', async () => {
    const orders: string[] = [];
    const kills = 20;
    // Deploys left unfinished by the kills: the point of the test is to kill mid-deploy.
    let inFlightAtKills = 0;
    for (let round = 0; round < kills; round++) {
      const replica = await fixture.cluster.serve('crash-a');
      const orderId = `CRASH-${round}`;
      // The marketplace resends until answered: a purchase sent to a process that dies is resent.
      const answer = await waitFor(
        `an answer to ${orderId}`,
        () => fixture.cluster.buy(replica.url, orderId),
        { timeoutMs: 30_000, intervalMs: 200 },
      );
      expect(answer.resultCode).toBe('000000');
      orders.push(orderId);
      // A random point: after k more steps have been logged (or once nothing is left to do).
      const k = randomInt(1, 20);
      const before = await count('SELECT count(*) AS n FROM operation_logs');
      await waitFor(
        `${k} more steps or no work left`,
        async () =>
          (await count('SELECT count(*) AS n FROM operation_logs')) >= before + k ||
          (await count(
            "SELECT count(*) AS n FROM operations WHERE status IN ('pending','running')",
          )) === 0,
        { timeoutMs: 60_000, intervalMs: 20 },
      );
      inFlightAtKills += await count(
        "SELECT count(*) AS n FROM operations WHERE kind = 'deploy' AND status IN ('pending','running')",
      );
      replica.child.kill('SIGKILL');
      await replica.exited;
    }
    const survivor = await fixture.cluster.serve('crash-a');
    await waitFor(
      'every deployment to be ready',
      async () =>
        (await count("SELECT count(*) AS n FROM instances WHERE status = 'ready'")) === kills,
      { timeoutMs: 240_000, intervalMs: 500 },
    ).catch(async (err) => {
      const { rows } = await fixture.query('SELECT id, status, status_detail FROM instances');
      throw new Error(
        `${err.message}\n${JSON.stringify(rows, null, 1)}\n${survivor.output().slice(-3000)}`,
      );
    });

    // One instance per order, one server per instance, nothing without an owner.
    expect(await count('SELECT count(*) AS n FROM instances')).toBe(kills);
    expect(await count('SELECT count(DISTINCT order_id) AS n FROM instances')).toBe(kills);
    const ids = (await fixture.query('SELECT id FROM instances')).rows.map((r) => r.id as string);
    const inventory = await fixture.cluster.sim.inventory(ids);
    for (const id of ids) {
      expect([id, inventory.servers.filter((s) => s.tags['kgd-instance'] === id).length]).toEqual([
        id,
        1,
      ]);
    }
    expect(inventory.servers).toHaveLength(kills);
    expect(inventory.orphans).toEqual([]);
    // One deploy license per deployment, whatever the number of attempts.
    expect(
      await count("SELECT count(*) AS n FROM licenses WHERE idempotency_key LIKE 'deploy:%'"),
    ).toBe(kills);
    const attempts = await count("SELECT sum(attempts) AS n FROM operations WHERE kind = 'deploy'");
    expect(attempts).toBeGreaterThanOrEqual(kills);
    expect(inFlightAtKills).toBeGreaterThan(0);
    console.log(
      `crash test: ${kills} SIGKILLs, ${inFlightAtKills} unfinished deploys interrupted in all, ${kills} deployments ready, ${attempts} deploy attempts, ${inventory.servers.length} servers, ${inventory.orphans.length} orphans`,
    );
    await survivor.stop();
  }, 900_000);
});
