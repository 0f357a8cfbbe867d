import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { StepRecord } from '../../../test/support/fakes/memory-steps.js';
import { createFlowHarness, type FlowHarness } from '../../../test/support/flow-harness.js';
import { Permanent, Retryable } from '../../platform/errors.js';
import type { LoadedProduct } from '../../products/catalog.js';
import { releaseKey } from '../model/keys.js';
import { isGone, isOpen } from '../model/states.js';

// demo-license ships deploy hooks only: a copy of its package with the release hooks too.
const stopHooks = ['prestop', 'stop', 'uninstall'];
const packageDir = mkdtempSync(path.join(tmpdir(), 'kgd-release-package-'));
afterAll(() => rmSync(packageDir, { recursive: true, force: true }));
let copied = false;
function withStopHooks(products: LoadedProduct[]): LoadedProduct[] {
  return products.map((p) => {
    if (p.name !== 'demo-license') return p;
    if (!copied) {
      cpSync(p.packagePath!, packageDir, { recursive: true });
      for (const hook of stopHooks)
        writeFileSync(path.join(packageDir, 'scripts', `${hook}.sh`), `echo ${hook}\n`);
      copied = true;
    }
    return { ...p, packagePath: packageDir };
  });
}

/** A ready instance of demo-license (with release hooks), deployed by the deploy flow. */
async function deployed() {
  const h = createFlowHarness({ products: withStopHooks });
  const { instanceId, operationId } = h.purchase();
  expect(await h.run(operationId)).toEqual({ status: 'succeeded' });
  const eip = h.instance(instanceId).eip!;
  return { h, instanceId, deployId: operationId, vm: h.remote.machine(eip) };
}

/** As requestRelease records it: one release, the instance releasing, open operations asked to stop. */
function requestRelease(h: FlowHarness, instanceId: string): string {
  const inst = h.instance(instanceId);
  const id = h.operation(instanceId, {
    kind: 'release',
    idempotency_key: releaseKey(instanceId),
    params: { by: 'marketplace' },
  });
  if (!isGone(inst.status)) Object.assign(inst, { status: 'releasing', updated_at: h.clock.now() });
  for (const op of h.store.operations.values())
    if (op.instance_id === instanceId && op.kind !== 'release' && isOpen(op.status))
      op.cancel_requested_at ??= h.clock.now();
  return id;
}

/** Everything the fake cloud holds (an empty list each when the release left nothing). */
const leftovers = (h: FlowHarness) => {
  const inv = h.cloud.inventory();
  return {
    servers: inv.servers.length,
    eips: inv.eips.length,
    securityGroups: inv.securityGroups.length,
    subnets: inv.subnets.length,
    vpcs: inv.vpcs.length,
  };
};
const nothing = { servers: 0, eips: 0, securityGroups: 0, subnets: 0, vpcs: 0 };
const everything = { servers: 1, eips: 1, securityGroups: 1, subnets: 1, vpcs: 1 };

const hookCommands = (vm: { commands: Array<{ command: string }> }) =>
  vm.commands.map((c) => /scripts\/(\w+)\.sh/.exec(c.command)?.[1]).filter(Boolean);

const allSteps = [
  'begin',
  'plan',
  'hook-prestop',
  'hook-stop',
  'hook-uninstall',
  'delete-servers',
  'delete-network',
  'verify-teardown',
  'revoke-licenses',
  'released',
  'finish',
];

describe('release flow', () => {
  it('runs the stop hooks, deletes everything tagged, verifies, revokes the licenses', async () => {
    const { h, instanceId, vm } = await deployed();
    const releaseId = requestRelease(h, instanceId);
    const record: StepRecord[] = [];
    expect(await h.run(releaseId, { record })).toEqual({ status: 'succeeded' });

    expect(record.map((s) => s.name)).toEqual(allSteps);
    expect(hookCommands(vm)).toEqual(['install', 'start', 'poststart', ...stopHooks]);
    expect(leftovers(h)).toEqual(nothing);
    // verified: the last look by tag found nothing
    const lastLooks = h.cloud.calls.slice(-2).map((c) => [c.method, ...c.args]);
    expect(lastLooks).toEqual(
      expect.arrayContaining([
        ['findServersByTag', 'kgd-instance', instanceId],
        ['findNetworkByTag', 'kgd-instance', instanceId],
      ]),
    );
    expect(h.licenses.issued).toHaveLength(1);
    expect(h.licenses.issued.every((l) => l.revoked_at)).toBe(true);
    const inst = h.instance(instanceId);
    expect(inst).toMatchObject({ status: 'released', status_detail: null });
    expect(inst.released_at).toEqual(h.licenses.issued[0]!.revoked_at);
    expect(h.op(releaseId)).toMatchObject({ status: 'succeeded', failed_step: null });
  });

  it('still releases when the stop and uninstall hooks fail', async () => {
    const { h, instanceId, vm } = await deployed();
    vm.onExec(/scripts\/(prestop|stop|uninstall)\.sh/, { exitCode: 1, stderr: 'no such unit\n' });
    const releaseId = requestRelease(h, instanceId);
    expect(await h.run(releaseId)).toEqual({ status: 'succeeded' });
    expect(hookCommands(vm)).toEqual(['install', 'start', 'poststart', ...stopHooks]);
    expect(h.journal.lines('hook-stop')).toContainEqual(
      expect.stringContaining('stop hook failed'),
    );
    expect(leftovers(h)).toEqual(nothing);
    expect(h.instance(instanceId).status).toBe('released');
  });

  it('releases when the server is already gone', async () => {
    const { h, instanceId, vm } = await deployed();
    // Deleted by someone else (the buyer, an operator in the console), EIP and all.
    await h.cloud.deleteServers([h.instance(instanceId).server_id!], {
      deletePublicIp: true,
      deleteVolume: true,
    });
    await h.clock.sleep(60_000); // the manual clock: the delete job ends
    expect(leftovers(h).servers).toBe(0);
    vm.unreachableUntil(new Date('2100-01-01T00:00:00Z'), 'refused');
    const releaseId = requestRelease(h, instanceId);
    expect(await h.run(releaseId)).toEqual({ status: 'succeeded' });
    expect(hookCommands(vm)).toEqual(['install', 'start', 'poststart']); // nothing ran there
    expect(h.journal.lines('hook-stop')).toContainEqual(expect.stringContaining('refused'));
    expect(leftovers(h)).toEqual(nothing);
    expect(h.instance(instanceId).status).toBe('released');
    expect(h.licenses.issued.every((l) => l.revoked_at)).toBe(true);
  });

  it('releases an instance that was never deployed: no hooks, nothing to delete', async () => {
    const h = createFlowHarness({ products: withStopHooks });
    const { instanceId, operationId: deployId } = h.purchase();
    const releaseId = requestRelease(h, instanceId);
    expect(h.op(deployId).cancel_requested_at).not.toBeNull();
    const record: StepRecord[] = [];
    expect(await h.run(releaseId, { record })).toEqual({ status: 'succeeded' });
    expect(record.map((s) => s.name)).toEqual(allSteps.filter((s) => !s.startsWith('hook-')));
    expect(h.cloud.callsOf('deleteServers')).toEqual([]);
    expect(h.remote.attempts).toEqual([]);
    expect(h.instance(instanceId)).toMatchObject({ status: 'released', server_id: null });
    // The deploy, queued before the release, then finds it cancelled before its first step.
    expect(await h.run(deployId)).toMatchObject({ status: 'cancelled' });
    expect(leftovers(h)).toEqual(nothing);
    expect(h.instance(instanceId).status).toBe('released');
  });

  it('runs no hooks on a server whose deploy never got to ready (a stalled server is not waited on again)', async () => {
    const { h, instanceId, vm } = await deployed();
    // As a deploy that stopped after the host key was pinned, before the product ever ran.
    Object.assign(h.instance(instanceId), { status: 'failed', ready_at: null });
    const before = hookCommands(vm).length;
    const releaseId = requestRelease(h, instanceId);
    const record: StepRecord[] = [];
    expect(await h.run(releaseId, { record })).toEqual({ status: 'succeeded' });
    expect(record.map((s) => s.name).filter((n) => n.startsWith('hook-'))).toEqual([]);
    expect(hookCommands(vm)).toHaveLength(before);
    expect(leftovers(h)).toEqual(nothing);
  });

  it('retries deletes the cloud answers "in use", on the clock', async () => {
    const { h, instanceId } = await deployed();
    h.cloud.faults.inUse('deleteSecurityGroup', 2);
    h.cloud.faults.inUse('deleteSubnet', 3);
    h.cloud.faults.inUse('deleteVpc', 1);
    const before = h.clock.now().getTime();
    const releaseId = requestRelease(h, instanceId);
    expect(await h.run(releaseId)).toEqual({ status: 'succeeded' });
    expect(h.cloud.callsOf('deleteSecurityGroup')).toHaveLength(3);
    expect(h.cloud.callsOf('deleteSubnet')).toHaveLength(4);
    expect(h.cloud.callsOf('deleteVpc')).toHaveLength(2);
    expect(h.clock.now().getTime()).toBeGreaterThan(before); // waited between tries
    expect(leftovers(h)).toEqual(nothing);
  });

  it('fails at the step that cannot finish, then an operator retries the cleanup', async () => {
    const { h, instanceId, vm } = await deployed();
    vm.onExec(/scripts\/stop\.sh/, { exitCode: 1 }); // a best-effort failure before
    h.cloud.faults.permanent('deleteVpc', { code: 'VPC.0012', message: 'VPC has ports left' });
    const releaseId = requestRelease(h, instanceId);
    const record: StepRecord[] = [];
    const outcome = await h.run(releaseId, { record });
    expect(outcome).toMatchObject({ status: 'failed', failedStep: 'delete-network' });
    expect(h.op(releaseId)).toMatchObject({ status: 'failed', failed_step: 'delete-network' });
    expect(h.instance(instanceId).status).toBe('cleanup_failed');
    expect(h.instance(instanceId).status_detail).toContain('VPC has ports left');
    expect(leftovers(h)).toEqual({ ...nothing, vpcs: 1 });
    expect(h.licenses.issued.some((l) => l.revoked_at)).toBe(false);

    // retryCleanup: the same operation, rewound to the teardown's first step.
    h.cloud.faults.clear();
    retryCleanup(h, releaseId, record);
    expect(await h.run(releaseId, { record })).toEqual({ status: 'succeeded' });
    expect(leftovers(h)).toEqual(nothing);
    expect(h.instance(instanceId).status).toBe('released');
    expect(h.licenses.issued.every((l) => l.revoked_at)).toBe(true);
    expect(hookCommands(vm).filter((c) => c === 'stop')).toHaveLength(1); // not run again
  });

  it('gives up on a delete that stays "in use", naming the step', async () => {
    const { h, instanceId } = await deployed();
    h.cloud.faults.inUse('deleteSubnet', Number.POSITIVE_INFINITY);
    const releaseId = requestRelease(h, instanceId);
    const outcome = await h.run(releaseId);
    expect(outcome).toMatchObject({ status: 'failed', failedStep: 'delete-network' });
    expect(h.op(releaseId).error).toMatchObject({
      // The cloud's own last answer, naming the resource, once the budget ran out.
      message: expect.stringMatching(/deleteSubnet: .* still in use/),
    });
    expect(leftovers(h)).toEqual({ ...nothing, subnets: 1, vpcs: 1 });
    expect(h.instance(instanceId).status).toBe('cleanup_failed');
  });
});

/** Each step's function, and the hook it runs (release hooks share one). */
const stepFunctions = {
  plan: ['releasePlan'],
  'hook-prestop': ['runHook', 'prestop'],
  'hook-stop': ['runHook', 'stop'],
  'hook-uninstall': ['runHook', 'uninstall'],
  'delete-servers': ['deleteServers'],
  'delete-network': ['deleteNetwork'],
  'verify-teardown': ['verifyTeardown'],
  'revoke-licenses': ['revokeLicenses'],
  released: ['now'],
} as const;
type ReleaseStep = keyof typeof stepFunctions;

/** Makes `step` fail `times` times with `error` (its function throws, as a port's failure would). */
function failStep(h: FlowHarness, step: ReleaseStep, error: () => Error, times: number) {
  const [method, hook] = stepFunctions[step] as readonly [string, string?];
  const d = h.d as unknown as Record<string, (...args: unknown[]) => unknown>;
  const real = d[method]!;
  let left = times;
  const calls = { n: 0 };
  d[method] = (...args: unknown[]) => {
    if (hook !== undefined && args[2] !== hook) return real(...args);
    calls.n++;
    if (left-- > 0) return Promise.reject(error());
    return real(...args);
  };
  return calls;
}

describe('release flow: each step failing', () => {
  const best = ['hook-prestop', 'hook-stop', 'hook-uninstall'];
  const steps = Object.keys(stepFunctions) as ReleaseStep[];

  it.each(steps)('%s refused: the release fails there (hooks: best effort)', async (step) => {
    const { h, instanceId } = await deployed();
    failStep(h, step, () => new Permanent(`${step} refused`), Number.POSITIVE_INFINITY);
    const releaseId = requestRelease(h, instanceId);
    const outcome = await h.run(releaseId);
    if (best.includes(step)) {
      expect(outcome).toEqual({ status: 'succeeded' });
      expect(leftovers(h)).toEqual(nothing);
      return;
    }
    expect(outcome).toMatchObject({ status: 'failed', failedStep: step });
    expect(h.instance(instanceId).status).toBe('cleanup_failed');
    const torndown = steps.indexOf(step) > steps.indexOf('verify-teardown');
    if (torndown) expect(leftovers(h)).toEqual(nothing);
    if (step === 'plan' || step === 'delete-servers') expect(leftovers(h)).toEqual(everything);
    expect(h.licenses.issued.every((l) => l.revoked_at)).toBe(step === 'released');
  });

  it.each(steps)('%s failing once for a while: retried per its policy, released', async (step) => {
    const { h, instanceId } = await deployed();
    const calls = failStep(h, step, () => new Retryable(`${step} unavailable (503)`), 1);
    const releaseId = requestRelease(h, instanceId);
    expect(await h.run(releaseId)).toEqual({ status: 'succeeded' });
    // Hooks run under the `none` policy: a failure is not retried, the release goes on.
    expect(calls.n).toBe(best.includes(step) ? 1 : 2);
    expect(leftovers(h)).toEqual(nothing);
    expect(h.instance(instanceId).status).toBe('released');
  });
});

describe('release flow: a crash after each step', () => {
  it.each(allSteps.map((_, i) => i + 1))(
    'after step %i, the replay finishes: nothing left, hooks run and licenses revoked once',
    async (stopAfter) => {
      const { h, instanceId, vm } = await deployed();
      const revokes = vi.spyOn(h.licenses, 'revokeFor');
      const releaseId = requestRelease(h, instanceId);
      const record: StepRecord[] = [];
      expect(await h.run(releaseId, { record, stopAfter })).toBe('stopped');
      expect(record.map((s) => s.name)).toEqual(allSteps.slice(0, stopAfter));

      expect(await h.run(releaseId, { record })).toEqual({ status: 'succeeded' });
      expect(record.map((s) => s.name)).toEqual(allSteps);
      expect(leftovers(h)).toEqual(nothing);
      expect(hookCommands(vm)).toEqual(['install', 'start', 'poststart', ...stopHooks]);
      expect(revokes).toHaveBeenCalledTimes(1);
      expect(h.licenses.issued.every((l) => l.revoked_at)).toBe(true);
      expect(h.instance(instanceId).status).toBe('released');
    },
  );
});

/**
 * retryCleanup on the fake store: the operation rerun from the teardown's first step, as the
 * command does through rerun (steps before it keep their records, it and the rest run again).
 */
function retryCleanup(h: FlowHarness, operationId: string, record: StepRecord[]) {
  const op = h.op(operationId);
  expect(op.kind === 'release' && op.status === 'failed').toBe(true);
  const start = record.findIndex((s) => s.name === 'delete-servers');
  expect(start).toBeGreaterThan(0);
  record.splice(start);
  Object.assign(op, {
    status: 'running',
    finished_at: null,
    error: null,
    failed_step: null,
    cancel_requested_at: null,
    reruns: op.reruns + 1,
  });
}
