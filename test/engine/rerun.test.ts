import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  openWorkflowControl,
  type WorkflowControl,
} from '../../src/deployments/engine/workflow-control.js';
import { createOperatorService } from '../../src/operators/actions/operator-service.js';
import { systemClock } from '../../src/platform/clock.js';
import { ActionError } from '../../src/platform/errors.js';
import { createIds } from '../../src/platform/ids.js';
import { createSilentLogger } from '../../src/platform/logger.js';
import { createEngineHarness, type EngineHarness } from '../support/engine-harness.js';

let h: EngineHarness;
let workflows: WorkflowControl;
let actions: ReturnType<typeof createOperatorService>;
beforeAll(async () => {
  h = await createEngineHarness();
  workflows = await openWorkflowControl(h.databaseUrl, createSilentLogger());
  actions = createOperatorService({
    db: h.database.db,
    clock: systemClock,
    ids: createIds(systemClock),
    secrets: h.service.runtime.secrets,
    workflows,
    wake: (id) => h.engine.dispatcher.wake(id),
  });
});
afterAll(async () => {
  await workflows?.close();
  await h?.close();
});

const deployOf = (id: string) =>
  h.database.db
    .selectFrom('operations')
    .selectAll()
    .where('instance_id', '=', id)
    .where('kind', '=', 'deploy')
    .executeTakeFirstOrThrow();
const serversOf = (id: string) =>
  h.sim.inspect().servers.filter((s) => s.tags['kgd-instance'] === id);

describe('operators rerun what failed', () => {
  it('reruns from the failed step once the cause is fixed, reusing what the first attempt created', async () => {
    h.sim.faults.setQuotas({ instances: 0 });
    const id = await h.buy({});
    await h.waitForStatus(id, 'failed');
    const failed = await deployOf(id);
    expect(failed.failed_step).toBe('create-server');
    const vpcBefore = (await h.instance(id)).vpc_id;
    h.sim.faults.setQuotas({ instances: 50 });
    const result = await actions.rerun(failed.id, { reason: 'quota raised', actor: 'test' });
    expect(result.from).toBe('create-server');
    const inst = await h.waitForStatus(id, 'ready');
    expect(inst.vpc_id).toBe(vpcBefore);
    expect(serversOf(id)).toHaveLength(1);
    expect((await deployOf(id)).status).toBe('succeeded');
  });

  it('reruns with another flavor when every choice was sold out', async () => {
    for (const az of ['cn-north-4a', 'cn-north-4b', 'cn-north-4c']) {
      h.sim.faults.soldOut({ az, flavor: 's6.small.1' });
      h.sim.faults.soldOut({ az, flavor: 's6.medium.2' });
    }
    try {
      const id = await h.buy({});
      const inst = await h.waitForStatus(id, 'failed');
      expect(inst.status_detail).toContain('no capacity for any choice');
      const op = await deployOf(id);
      const refused = await actions
        .rerun(op.id, { from: 'no-such-step', reason: 'x', actor: 'test' })
        .catch((e) => e);
      expect(refused).toBeInstanceOf(ActionError);
      expect(refused.message).toContain('has no step no-such-step');
      const result = await actions.rerun(op.id, {
        from: 'create-server',
        overrides: { flavor: 's6.large.2' },
        reason: 'sold out: try a larger flavor',
        actor: 'test',
      });
      expect(result.from).toBe('plan'); // edited inputs restart at the plan
      const ready = await h.waitForStatus(id, 'ready');
      expect(ready.flavor).toBe('s6.large.2');
      expect(serversOf(id)).toHaveLength(1);
      const logs = await h.database.db
        .selectFrom('operation_logs')
        .select('message')
        .where('instance_id', '=', id)
        .execute();
      expect(logs.some((l) => l.message.includes('rerun from plan by test'))).toBe(true);
    } finally {
      h.sim.faults.clear();
    }
  });

  it('refuses to rerun an operation that succeeded, and to cancel a release', async () => {
    const id = await h.buy({});
    await h.waitForStatus(id, 'ready');
    const op = await deployOf(id);
    await expect(actions.rerun(op.id, { reason: 'x', actor: 't' })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    const { operationId } = await actions.release(id, { reason: 'manual teardown', actor: 'test' });
    await expect(actions.cancel(operationId, { reason: 'x', actor: 't' })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    h.engine.dispatcher.wake(id);
    await h.waitForStatus(id, 'released');
    await expect(actions.release(id, { reason: 'again', actor: 't' })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
  });
});
