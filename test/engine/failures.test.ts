import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngineHarness, type EngineHarness } from '../support/engine-harness.js';
import { makeTemplates } from '../support/templates.js';
import { waitFor } from '../support/wait-for.js';

const templates = makeTemplates([
  {
    name: 'slow-install',
    productIds: ['OFFI-SLOW'],
    scripts: { install: '#!/usr/bin/env bash\necho "installing slowly"\nsleep 120\n' },
  },
  {
    name: 'broken-keep',
    productIds: ['OFFI-BROKEN-KEEP'],
    scripts: { install: '#!/usr/bin/env bash\necho "disk layout unexpected" >&2\nexit 3\n' },
  },
  {
    name: 'broken-destroy',
    productIds: ['OFFI-BROKEN-DESTROY'],
    patch: { lifecycle: { onFailure: 'destroy' } },
    scripts: { install: '#!/usr/bin/env bash\nexit 4\n' },
  },
]);

let h: EngineHarness;
beforeAll(async () => {
  h = await createEngineHarness({ templatesDir: templates.dir });
});
afterAll(async () => {
  await h?.close();
  templates.cleanup();
});

const tagged = (id: string) => {
  const inv = h.sim.inspect();
  return [...inv.servers, ...inv.vpcs, ...inv.subnets, ...inv.securityGroups].filter(
    (r) => r.tags?.['kgd-instance'] === id,
  );
};

describe('release during install', () => {
  it('interrupts the running hook, cancels the deploy, then tears everything down', async () => {
    const id = await h.buy({ productId: 'OFFI-SLOW' });
    await waitFor(
      'the install hook to be running',
      async () => {
        const rows = await h.database.db
          .selectFrom('operation_logs')
          .select('message')
          .where('instance_id', '=', id)
          .where('step', '=', 'hook-install')
          .execute();
        return rows.some((r) => r.message.includes('installing slowly'));
      },
      { timeoutMs: 60_000 },
    );
    const started = Date.now();
    expect((await h.v1({ activity: 'releaseInstance', instanceId: id })).resultCode).toBe('000000');
    await h.waitForStatus(id, 'released');
    expect(Date.now() - started).toBeLessThan(60_000); // not the hook's 120 s
    const ops = await h.database.db
      .selectFrom('operations')
      .select(['kind', 'status'])
      .where('instance_id', '=', id)
      .orderBy('seq')
      .execute();
    expect(ops).toEqual([
      { kind: 'deploy', status: 'cancelled' },
      { kind: 'release', status: 'succeeded' },
    ]);
    expect(tagged(id)).toEqual([]);
  });
});

describe('permanent failures', () => {
  it('keeps the resources for inspection when the product says keep, naming the failed step', async () => {
    const id = await h.buy({ productId: 'OFFI-BROKEN-KEEP' });
    const inst = await h.waitForStatus(id, 'failed');
    expect(inst.status_detail).toContain('install hook failed with exit code 3');
    const op = await h.database.db
      .selectFrom('operations')
      .selectAll()
      .where('instance_id', '=', id)
      .executeTakeFirstOrThrow();
    expect(op).toMatchObject({ status: 'failed', failed_step: 'hook-install' });
    expect(tagged(id).length).toBeGreaterThanOrEqual(4); // server, VPC, subnet, security group
    const logs = await h.database.db
      .selectFrom('operation_logs')
      .select('message')
      .where('instance_id', '=', id)
      .execute();
    expect(logs.some((l) => l.message.includes('disk layout unexpected'))).toBe(true);
  });

  it('destroys what it created before recording the failure when the product says destroy', async () => {
    const id = await h.buy({ productId: 'OFFI-BROKEN-DESTROY' });
    const inst = await h.waitForStatus(id, 'failed');
    expect(inst.status_detail).toContain('created resources destroyed');
    expect(tagged(id)).toEqual([]);
  });

  it('fails on an exhausted quota at once, saying what to raise', async () => {
    h.sim.faults.setQuotas({ instances: 0 });
    try {
      const id = await h.buy({});
      const inst = await h.waitForStatus(id, 'failed');
      expect(inst.status_detail?.toLowerCase()).toContain('quota');
      const op = await h.database.db
        .selectFrom('operations')
        .selectAll()
        .where('instance_id', '=', id)
        .executeTakeFirstOrThrow();
      expect(op.failed_step).toBe('create-server');
    } finally {
      h.sim.faults.setQuotas({ instances: 50 });
    }
  });
});
