import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngineHarness, type EngineHarness } from '../support/engine-harness.js';

let h: EngineHarness;
beforeAll(async () => {
  h = await createEngineHarness();
});
afterAll(() => h?.close());

describe('deploy a License product onto a new server', () => {
  it('goes from a V1 purchase to a licensed, running, health-checked app', async () => {
    const id = await h.buy({});
    const inst = await h.waitForStatus(id, 'ready');
    expect(inst.eip).toMatch(/^127\.\d+\.\d+\.\d+$/);
    expect(inst.host_key).toMatch(/^SHA256:/);
    expect(inst.front_end_url).toBe(`http://${inst.eip}:8080/`);
    const page = await (await fetch(inst.front_end_url!)).text();
    expect(page).toContain('Acme Buyer');
    const servers = h.sim.inspect().servers.filter((s) => s.tags['kgd-instance'] === id);
    expect(servers).toHaveLength(1);
    const op = await h.database.db
      .selectFrom('operations')
      .selectAll()
      .where('instance_id', '=', id)
      .executeTakeFirstOrThrow();
    expect(op.status).toBe('succeeded');
  });
});
