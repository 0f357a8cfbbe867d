import { describe, expect, it } from 'vitest';
import type { StepRecord } from '../../../test/support/fakes/memory-steps.js';
import {
  createFlowHarness,
  type FlowHarness,
  type FlowHarnessOptions,
} from '../../../test/support/flow-harness.js';
import { ActionError } from '../../platform/errors.js';
import { rerunStart } from '../commands/operator-commands.js';
import type { Overrides } from '../model/overrides.js';
import { rerunnableOperation } from '../model/states.js';

const azs = ['cn-north-4a', 'cn-north-4b', 'cn-north-4c'];

/**
 * A harness whose servers' start hook fails while `startFails.value` is set (the fix an operator
 * makes before rerunning is to clear it).
 */
function harness(options: FlowHarnessOptions = {}) {
  const h = createFlowHarness(options);
  const startFails = { value: false };
  const add = h.remote.addMachine;
  h.remote.addMachine = (o) => {
    const vm = add(o);
    vm.onExec(/scripts\/start\.sh/, () =>
      startFails.value ? { exitCode: 1, stderr: 'port 8080 already in use\n' } : {},
    );
    return vm;
  };
  return { h, startFails };
}

const destroyOnFailure: FlowHarnessOptions = {
  products: (products) =>
    products.map((p) =>
      p.name === 'demo-license' ? { ...p, lifecycle: { ...p.lifecycle, onFailure: 'destroy' } } : p,
    ),
};

/**
 * rerun on the fake store, as the command does it on the database and DBOS: the start step is the
 * command's choice over the recorded steps; the record is rewound there (the steps before it keep
 * their results, it and the rest run again); the operation is running again with the overrides
 * merged into its inputs and one more rerun counted.
 */
function rerun(
  h: FlowHarness,
  operationId: string,
  record: StepRecord[],
  input: { from?: string; overrides?: Overrides } = {},
): string {
  const op = h.op(operationId);
  expect(rerunnableOperation).toContain(op.status);
  const recorded = record.map((s, functionId) => {
    const outcome = JSON.parse(s.output) as { ok: boolean; error?: { message: string } };
    return {
      functionId,
      name: s.name,
      error: outcome.ok === false ? outcome.error!.message : null,
      startedAt: undefined,
      completedAt: undefined,
    };
  });
  const start = rerunStart(recorded, op, input.from, input.overrides);
  record.splice(start.functionId);
  Object.assign(op, {
    status: 'running',
    finished_at: null,
    error: null,
    failed_step: null,
    cancel_requested_at: null,
    overrides: { ...op.overrides, ...input.overrides },
    reruns: op.reruns + 1,
  });
  if (op.kind === 'deploy')
    Object.assign(h.instance(op.instance_id!), {
      status: 'deploying',
      status_detail: `rerun from ${start.name}`,
    });
  return start.name;
}

/** The instance's servers in the fake cloud. */
const serversOf = (h: FlowHarness, instanceId: string) =>
  h.cloud.inventory().servers.filter((s) => s.tags['kgd-instance'] === instanceId);

/** The license the server holds: what the app reads, and whom it is bound to. */
function installedLicense(h: FlowHarness, instanceId: string) {
  const inst = h.instance(instanceId);
  const text = h.remote
    .machine(inst.eip!)
    .files.get('/opt/demo-license/license/license.key')!
    .content.toString()
    .split('\n')[0]!;
  const license = h.licenses.issued.find((l) => l.text === text)!;
  return { ...license, boundTo: (license.document as { boundTo: unknown }).boundTo };
}

const hooksRun = (h: FlowHarness, instanceId: string) =>
  h.remote
    .machine(h.instance(instanceId).eip!)
    .commands.map((c) => /scripts\/(\w+)\.sh/.exec(c.command)?.[1])
    .filter(Boolean);

describe('rerun of a failed deploy', () => {
  it('sold out everywhere: rerun with another flavor and AZ restarts at the plan and succeeds', async () => {
    const { h } = harness();
    for (const flavor of ['s6.small.1', 's6.medium.2']) h.cloud.faults.soldOut({ flavor });
    const { instanceId, operationId } = h.purchase();
    const record: StepRecord[] = [];
    const failed = await h.run(operationId, { record });
    expect(failed).toMatchObject({ status: 'failed' });
    expect(h.instance(instanceId)).toMatchObject({ status: 'failed' });
    expect(h.instance(instanceId).status_detail).toContain('no capacity for any choice');
    expect(h.cloud.callsOf('createServer')).toHaveLength(6); // 2 flavors × 3 AZs
    expect(serversOf(h, instanceId)).toEqual([]);

    const from = rerun(h, operationId, record, {
      from: 'create-server',
      overrides: { flavor: 's6.large.2', az: 'cn-north-4b' },
    });
    expect(from).toBe('plan'); // edited inputs restart at the plan
    expect(await h.run(operationId, { record })).toEqual({ status: 'succeeded' });
    const servers = serversOf(h, instanceId);
    expect(servers.map((s) => [s.flavor, s.az])).toEqual([['s6.large.2', 'cn-north-4b']]);
    expect(h.instance(instanceId)).toMatchObject({
      status: 'ready',
      flavor: 's6.large.2',
      az: 'cn-north-4b',
      server_id: servers[0]!.id,
    });
    expect(installedLicense(h, instanceId).boundTo).toEqual({ serverId: servers[0]!.id });
    expect(h.cloud.inventory().vpcs).toHaveLength(1); // the network was found, not created again
  });

  it('sold out everywhere, capacity back: a rerun from create-server tries the choices again', async () => {
    const { h } = harness();
    for (const az of azs) {
      h.cloud.faults.soldOut({ az, flavor: 's6.small.1' });
      h.cloud.faults.soldOut({ az, flavor: 's6.medium.2' });
    }
    const { instanceId, operationId } = h.purchase();
    const record: StepRecord[] = [];
    expect(await h.run(operationId, { record })).toMatchObject({ status: 'failed' });
    h.cloud.faults.clear();
    // The first create-server: every choice again, each with a new client token (a new attempt).
    expect(rerun(h, operationId, record, { from: 'create-server' })).toBe('create-server');
    expect(await h.run(operationId, { record })).toEqual({ status: 'succeeded' });
    expect(serversOf(h, instanceId).map((s) => [s.flavor, s.az])).toEqual([
      ['s6.small.1', 'cn-north-4a'],
    ]);
    expect(h.cloud.callsOf('createServer')).toHaveLength(7);
  });

  it('a hook failed and was fixed: rerun from the failed step runs it and what follows, once', async () => {
    const { h, startFails } = harness();
    startFails.value = true;
    const { instanceId, operationId } = h.purchase();
    const record: StepRecord[] = [];
    expect(await h.run(operationId, { record })).toMatchObject({
      status: 'failed',
      failedStep: 'hook-start',
    });
    expect(h.op(operationId).failed_step).toBe('hook-start');
    expect(h.instance(instanceId).status_detail).toContain('start hook failed');
    const server = serversOf(h, instanceId)[0]!; // kept for inspection (onFailure: keep)

    startFails.value = false;
    expect(rerun(h, operationId, record)).toBe('hook-start');
    expect(await h.run(operationId, { record })).toEqual({ status: 'succeeded' });
    expect(serversOf(h, instanceId).map((s) => s.id)).toEqual([server.id]);
    expect(hooksRun(h, instanceId)).toEqual(['install', 'start', 'start', 'poststart']);
    expect(h.licenses.issued).toHaveLength(1);
    expect(h.instance(instanceId).status).toBe('ready');
  });

  it('reruns from a named step', async () => {
    const { h, startFails } = harness();
    startFails.value = true;
    const { instanceId, operationId } = h.purchase();
    const record: StepRecord[] = [];
    await h.run(operationId, { record });
    startFails.value = false;
    expect(rerun(h, operationId, record, { from: 'hook-install' })).toBe('hook-install');
    expect(await h.run(operationId, { record })).toEqual({ status: 'succeeded' });
    expect(hooksRun(h, instanceId)).toEqual(['install', 'start', 'install', 'start', 'poststart']);
    expect(() => rerunStart([], h.op(operationId), 'no-such-step', undefined)).toThrow(ActionError);
  });

  it('a hook failed: rerun on another flavor replaces the server, and the license follows it', async () => {
    const { h, startFails } = harness();
    startFails.value = true;
    const { instanceId, operationId } = h.purchase();
    const record: StepRecord[] = [];
    await h.run(operationId, { record });
    const old = serversOf(h, instanceId)[0]!;
    expect(installedLicense(h, instanceId).boundTo).toEqual({ serverId: old.id });

    startFails.value = false;
    expect(rerun(h, operationId, record, { overrides: { flavor: 's6.large.2' } })).toBe('plan');
    expect(await h.run(operationId, { record })).toEqual({ status: 'succeeded' });
    const servers = serversOf(h, instanceId);
    expect(servers.map((s) => s.flavor)).toEqual(['s6.large.2']);
    expect(servers[0]!.id).not.toBe(old.id);
    expect(h.instance(instanceId)).toMatchObject({ status: 'ready', server_id: servers[0]!.id });
    // The license on the new server is bound to it, not to the server deleted on the way.
    expect(installedLicense(h, instanceId).boundTo).toEqual({ serverId: servers[0]!.id });
  });

  it('after the failure cleanup destroyed everything, a rerun creates it again', async () => {
    const { h, startFails } = harness(destroyOnFailure);
    startFails.value = true;
    const { instanceId, operationId } = h.purchase();
    const record: StepRecord[] = [];
    const outcome = await h.run(operationId, { record });
    expect(outcome).toMatchObject({ status: 'failed', failedStep: 'hook-start' });
    expect(h.instance(instanceId).status_detail).toContain('(created resources destroyed)');
    const inv = h.cloud.inventory();
    expect([inv.servers, inv.vpcs, inv.subnets, inv.securityGroups, inv.eips]).toEqual([
      [],
      [],
      [],
      [],
      [],
    ]);

    startFails.value = false;
    rerun(h, operationId, record);
    expect(await h.run(operationId, { record })).toEqual({ status: 'succeeded' });
    const servers = serversOf(h, instanceId);
    expect(servers).toHaveLength(1);
    expect(h.instance(instanceId)).toMatchObject({ status: 'ready', server_id: servers[0]!.id });
    expect(h.instance(instanceId).eip).toBe(servers[0]!.floatingIps[0]);
    expect(installedLicense(h, instanceId).boundTo).toEqual({ serverId: servers[0]!.id });
  });
});
