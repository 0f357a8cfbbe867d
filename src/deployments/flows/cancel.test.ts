import { describe, expect, it } from 'vitest';
import type { StepRecord } from '../../../test/support/fakes/memory-steps.js';
import { createFlowHarness, type FlowHarness } from '../../../test/support/flow-harness.js';
import { CloudRetryable } from '../../cloud/errors.js';
import { releaseKey } from '../model/keys.js';
import { isOpen } from '../model/states.js';

const hour = 3_600_000;
/** A long wait the cloud asks for, within the cloud steps' default budget. */
const longWait = 20 * 60_000;

/** As the cancel command records it: the runner's cancellation watch reads the column. */
function requestCancel(h: FlowHarness, operationId: string) {
  const op = h.op(operationId);
  expect(isOpen(op.status) && op.kind !== 'release').toBe(true);
  op.cancel_requested_at = h.clock.now();
}

/** As requestRelease records it: the instance releasing, its open operations asked to stop. */
function requestRelease(h: FlowHarness, instanceId: string): string {
  const id = h.operation(instanceId, { kind: 'release', idempotency_key: releaseKey(instanceId) });
  h.instance(instanceId).status = 'releasing';
  for (const op of h.store.operations.values())
    if (op.instance_id === instanceId && op.kind !== 'release' && isOpen(op.status))
      op.cancel_requested_at ??= h.clock.now();
  return id;
}

/** A harness whose servers' install hook runs `onInstall` when it starts, then runs for hours. */
function withLongInstall(onInstall: (h: FlowHarness) => void) {
  const h = createFlowHarness();
  const add = h.remote.addMachine;
  h.remote.addMachine = (o) => {
    const vm = add(o);
    vm.onExec(/scripts\/install\.sh/, () => {
      onInstall(h);
      return { hang: true };
    });
    return vm;
  };
  return h;
}

const tagged = (h: FlowHarness, instanceId: string) => {
  const inv = h.cloud.inventory();
  return [...inv.servers, ...inv.vpcs, ...inv.subnets, ...inv.securityGroups].filter(
    (r) => r.tags['kgd-instance'] === instanceId,
  ).length;
};

describe('cancelling a deploy', () => {
  it('stops the step that runs (the install hook) and ends the operation cancelled', async () => {
    let deployId = '';
    const h = withLongInstall((h) => requestCancel(h, deployId));
    const { instanceId, operationId } = h.purchase();
    deployId = operationId;
    const started = h.clock.now().getTime();
    const outcome = await h.run(operationId);
    expect(outcome).toMatchObject({ status: 'cancelled', failedStep: 'hook-install' });
    expect(h.op(operationId)).toMatchObject({ status: 'cancelled', failed_step: 'hook-install' });
    expect(h.clock.now().getTime() - started).toBeLessThan(hour); // not the hook's 5 min timeout × retries
    const vm = h.remote.machine(h.instance(instanceId).eip!);
    expect(vm.openSessions).toBe(0); // the hook's session was closed, ending it
    expect(vm.commands.filter((c) => c.command.includes('scripts/'))).toHaveLength(1);
  });

  it('leaves what it created for the release or rerun that follows: nothing is torn down', async () => {
    let deployId = '';
    const h = withLongInstall((h) => requestCancel(h, deployId));
    const { instanceId, operationId } = h.purchase();
    deployId = operationId;
    await h.run(operationId);
    expect(tagged(h, instanceId)).toBe(4); // server, VPC, subnet, security group
    expect(h.cloud.callsOf('deleteServers')).toEqual([]);
    expect(h.licenses.issued).toHaveLength(1);
    expect(h.licenses.issued[0]!.revoked_at).toBeNull();
    expect(h.instance(instanceId)).toMatchObject({ status: 'failed', status_detail: 'cancelled' });
  });

  it('ends a wait between retries at once, not at the next attempt', async () => {
    const h = createFlowHarness();
    const { operationId } = h.purchase();
    let failedAt = 0;
    h.cloud.faults.failNext('createServer', () => {
      failedAt = h.clock.now().getTime();
      // An operator cancels a minute into the 20 minutes the cloud asked to wait.
      void h.clock.sleep(60_000).then(() => requestCancel(h, operationId));
      return new CloudRetryable('createServer: throttled (APIGW.0308)', {
        code: 'APIGW.0308',
        operation: 'createServer',
        httpStatus: 429,
        retryAfterMs: longWait,
      });
    });
    const outcome = await h.run(operationId);
    expect(outcome).toMatchObject({ status: 'cancelled', failedStep: 'create-server' });
    expect(h.cloud.callsOf('createServer')).toHaveLength(1);
    expect(h.clock.now().getTime() - failedAt).toBeLessThan(longWait);
  });

  it('cancelled before it started: no step runs, nothing is created', async () => {
    const h = createFlowHarness();
    const { instanceId, operationId } = h.purchase();
    requestCancel(h, operationId);
    const record: StepRecord[] = [];
    expect(await h.run(operationId, { record })).toMatchObject({ status: 'cancelled' });
    expect(record.map((s) => s.name)).toEqual(['begin', 'plan', 'finish']);
    expect(h.cloud.calls).toEqual([]);
    expect(h.instance(instanceId).status).toBe('failed');
  });

  it('a release arriving during the deploy cancels it, then tears everything down', async () => {
    let releaseId = '';
    const h = withLongInstall((h) => {
      releaseId = requestRelease(h, h.op(deployId).instance_id!);
    });
    const { instanceId, operationId: deployId } = h.purchase();
    expect(await h.run(deployId)).toMatchObject({ status: 'cancelled' });
    expect(h.instance(instanceId).status).toBe('releasing'); // the release owns it now
    expect(await h.run(releaseId)).toEqual({ status: 'succeeded' });
    expect(tagged(h, instanceId)).toBe(0);
    expect(h.licenses.issued.every((l) => l.revoked_at)).toBe(true);
    expect(h.instance(instanceId).status).toBe('released');
  });
});

describe('a release is not cancellable', () => {
  it('runs to its end even with a cancellation recorded, through its waits', async () => {
    const h = createFlowHarness();
    const { instanceId, operationId } = h.purchase();
    expect(await h.run(operationId)).toEqual({ status: 'succeeded' });
    const releaseId = requestRelease(h, instanceId);
    h.op(releaseId).cancel_requested_at = h.clock.now(); // whatever wrote it, the runner ignores it
    h.cloud.faults.inUse('deleteSubnet', 3);
    expect(await h.run(releaseId)).toEqual({ status: 'succeeded' });
    expect(tagged(h, instanceId)).toBe(0);
    expect(h.instance(instanceId).status).toBe('released');
  });
});
