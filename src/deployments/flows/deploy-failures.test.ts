import { describe, expect, it, vi } from 'vitest';
import type { StepRecord } from '../../../test/support/fakes/memory-steps.js';
import {
  createFlowHarness,
  type FlowHarness,
  type FlowHarnessOptions,
} from '../../../test/support/flow-harness.js';
import { tagKeys } from '../../cloud/tags.js';
import { Permanent } from '../../platform/errors.js';

type Machine = ReturnType<FlowHarness['remote']['addMachine']>;
type Policy = 'keep' | 'destroy';

const image = { product_id: 'OFFI-DEMO-IMAGE', sku_code: 'standard' };

const withFailurePolicy = (onFailure: Policy): FlowHarnessOptions => ({
  products: (ps) => ps.map((p) => ({ ...p, lifecycle: { ...p.lifecycle, onFailure } })),
});

/**
 * Scripts each machine behind a fake server as it boots: the harness adds it through
 * `remote.addMachine` at the first SSH contact with the server's EIP.
 */
function onBoot(h: FlowHarness, script: (vm: Machine, nth: number) => void) {
  const add = h.remote.addMachine.bind(h.remote);
  let booted = 0;
  h.remote.addMachine = (options) => {
    const vm = add(options);
    script(vm, ++booted);
    return vm;
  };
}

/** What the fake cloud holds for the instance (EIPs are not tagged: every one is counted). */
function tagged(h: FlowHarness, instanceId: string) {
  const inv = h.cloud.inventory();
  const mine = (all: Array<{ tags: Record<string, string> }>) =>
    all.filter((r) => r.tags[tagKeys.instance] === instanceId).length;
  return {
    servers: mine(inv.servers),
    vpcs: mine(inv.vpcs),
    subnets: mine(inv.subnets),
    securityGroups: mine(inv.securityGroups),
    eips: inv.eips.length,
  };
}

const nothing = { servers: 0, vpcs: 0, subnets: 0, securityGroups: 0, eips: 0 };
const network = { ...nothing, vpcs: 1, subnets: 1, securityGroups: 1 };
const everything = { ...network, servers: 1, eips: 1 };

interface StepFailure {
  step: string;
  /** Makes the step fail for good (the harness is fresh; nothing has run yet). */
  arrange(h: FlowHarness): void;
  error: RegExp;
  /** What exists when the step fails, which `keep` leaves in place. */
  created: ReturnType<typeof tagged>;
  product?: typeof image;
}

const failures: StepFailure[] = [
  {
    step: 'ensure-network',
    arrange: (h) => h.cloud.faults.permanent('ensureVpc', { message: 'VPC quota exceeded' }),
    error: /^ensureVpc: VPC quota exceeded \(Ecs\.0005\)$/,
    created: { ...nothing, securityGroups: 1 },
  },
  {
    step: 'ensure-security-group',
    arrange: (h) =>
      h.cloud.faults.permanent('ensureSecurityGroup', {
        code: 'VPC.0601',
        message: 'security group quota exceeded',
      }),
    error: /^ensureSecurityGroup: security group quota exceeded \(VPC\.0601\)$/,
    created: { ...network, securityGroups: 0 },
  },
  {
    step: 'create-server',
    arrange: (h) =>
      h.cloud.faults.permanent('createServer', { code: 'Ecs.0001', message: 'quota exhausted' }),
    error: /^createServer: quota exhausted \(Ecs\.0001\)$/,
    created: network,
  },
  {
    step: 'wait-server-job',
    arrange: (h) => h.cloud.faults.permanent('getJob', { message: 'access denied', times: 1 }),
    error: /^getJob: access denied/,
    created: everything,
  },
  {
    step: 'wait-server-active',
    arrange: (h) => h.cloud.faults.permanent('getServer', { message: 'access denied', times: 1 }),
    error: /^getServer: access denied/,
    created: everything,
  },
  {
    step: 'wait-ssh',
    arrange: (h) => onBoot(h, (vm) => vm.unreachableUntil(new Date('2100-01-01'))),
    error: /^sshd on 100\.64\.0\.1:22 did not accept a session within 600000 ms .*refused/,
    created: everything,
  },
  {
    step: 'upload-package',
    arrange: (h) =>
      onBoot(h, (vm) =>
        vm.onExec(/tar -xzf/, { exitCode: 2, stderr: 'gzip: stdin: not in gzip format\n' }),
      ),
    error: /^unpacking the package failed with exit code 2: gzip: stdin: not in gzip format$/,
    created: everything,
  },
  {
    step: 'issue-license',
    arrange: (h) => {
      vi.spyOn(h.licenses, 'issue').mockRejectedValue(
        new Permanent('the license signing key is not loaded: run kgd license init'),
      );
    },
    error: /^the license signing key is not loaded/,
    created: everything,
  },
  {
    step: 'install-license',
    // The server is rebuilt between the steps: its new host key is refused.
    arrange: (h) => {
      const issue = h.licenses.issue.bind(h.licenses);
      vi.spyOn(h.licenses, 'issue').mockImplementation(async (request) => {
        h.remote.machine(h.instance(request.instanceId).eip!).rotateHostKey();
        return issue(request);
      });
    },
    error: /^host key of 100\.64\.0\.1:22 changed/,
    created: everything,
  },
  ...['install', 'start', 'poststart'].map((hook) => ({
    step: `hook-${hook}`,
    arrange: (h: FlowHarness) =>
      onBoot(h, (vm) =>
        vm.onExec(`scripts/${hook}.sh`, { exitCode: 3, stderr: `${hook}: port 8080 in use\n` }),
      ),
    error: new RegExp(`^the ${hook} hook failed with exit code 3: ${hook}: port 8080 in use$`),
    created: everything,
  })),
  {
    step: 'first-boot',
    product: image,
    arrange: (h) =>
      onBoot(h, (vm) =>
        vm.onExec('firstboot.sh', { exitCode: 127, stderr: 'node: command not found\n' }),
      ),
    error: /^the first-boot hook failed with exit code 127: node: command not found$/,
    created: everything,
  },
  {
    step: 'health-check',
    arrange: (h) => {
      h.health.status = 500;
    },
    error:
      /^health check failed \(last: HTTP 500\): timed out after 120 s waiting for http:\/\/100\.64\.0\.1:8080\/healthz to answer 200$/,
    created: everything,
  },
];

/** Runs the operation to its end (these tests never stop a run midway). */
async function runToEnd(h: FlowHarness, operationId: string) {
  const outcome = await h.run(operationId);
  if (outcome === 'stopped') throw new Error('the run stopped without stopAfter');
  return outcome;
}

async function deployFailing(f: StepFailure, policy: Policy) {
  const h = createFlowHarness(withFailurePolicy(policy));
  f.arrange(h);
  const { instanceId, operationId } = h.purchase(f.product);
  return { h, instanceId, operationId, outcome: await runToEnd(h, operationId) };
}

const deletes = (h: FlowHarness) => h.cloud.calls.filter((c) => c.method.startsWith('delete'));

describe('deploy flow: each step failing for good', () => {
  it.each(failures)('$step: kept for inspection when the product says keep', async (f) => {
    const { h, instanceId, operationId, outcome } = await deployFailing(f, 'keep');

    expect(outcome).toMatchObject({ status: 'failed', failedStep: f.step });
    expect(outcome.error).toMatch(f.error);
    expect(outcome.detail).toMatchObject({ cleanup: 'kept' });
    expect(h.op(operationId)).toMatchObject({ status: 'failed', failed_step: f.step });
    expect(h.instance(instanceId)).toMatchObject({ status: 'failed', ready_at: null });
    expect(h.instance(instanceId).status_detail).toMatch(f.error);
    expect(tagged(h, instanceId)).toEqual(f.created);
    expect(deletes(h)).toEqual([]);
  });

  it.each(failures)(
    '$step: everything created is destroyed when the product says destroy',
    async (f) => {
      const { h, instanceId, operationId, outcome } = await deployFailing(f, 'destroy');

      expect(outcome).toMatchObject({
        status: 'failed',
        failedStep: f.step,
        error: expect.stringMatching(/ \(created resources destroyed\)$/),
        detail: { cleanup: 'destroyed' },
      });
      expect(outcome.error!.replace(/ \(created resources destroyed\)$/, '')).toMatch(f.error);
      expect(h.op(operationId)).toMatchObject({ status: 'failed', failed_step: f.step });
      expect(h.instance(instanceId).status).toBe('failed');
      expect(tagged(h, instanceId)).toEqual(nothing);
      expect(deletes(h)).not.toEqual([]);
    },
  );
});

describe('deploy flow: a cleanup that fails', () => {
  it.each([
    { refused: 'deleteServers' as const, left: everything },
    { refused: 'deleteVpc' as const, left: { ...nothing, vpcs: 1 } },
  ])(
    'ends cleanup_failed when $refused is refused, leaving what it could not delete',
    async ({ refused, left }) => {
      const h = createFlowHarness(withFailurePolicy('destroy'));
      h.health.status = 503;
      h.cloud.faults.permanent(refused, { message: 'access denied' });
      const { instanceId, operationId } = h.purchase();
      const outcome = await runToEnd(h, operationId);

      expect(outcome).toMatchObject({
        status: 'cleanup_failed',
        failedStep: 'health-check',
        error: expect.stringMatching(/^health check failed \(last: HTTP 503\)/),
        detail: { cleanup: 'cleanup-failed' },
      });
      expect(outcome.error).not.toContain('destroyed');
      expect(h.op(operationId).status).toBe('cleanup_failed');
      expect(h.instance(instanceId).status).toBe('cleanup_failed');
      expect(tagged(h, instanceId)).toEqual(left);
      expect(h.journal.lines().join('\n')).toContain(`${refused}: access denied`);
    },
  );
});

describe('deploy flow: retryable failures', () => {
  it('retries a throttled create on the clock, creating one server', async () => {
    const h = createFlowHarness();
    h.cloud.faults.throttle('createServer', 2);
    h.cloud.faults.throttle('ensureVpc');
    const { instanceId, operationId } = h.purchase();
    expect(await h.run(operationId)).toEqual({ status: 'succeeded' });

    expect(h.cloud.callsOf('createServer')).toHaveLength(3);
    expect(h.journal.lines('create-server')).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/throttled .*\(attempt 1 of 21, retrying in 6\d s\)$/),
        expect.stringMatching(/throttled .*\(attempt 2 of 21, retrying in 6\d s\)$/),
      ]),
    );
    expect(h.journal.lines('ensure-network')).toContainEqual(
      expect.stringMatching(/\(attempt 1 of 21, retrying in 6\d s\)$/),
    );
    expect(h.instance(instanceId).status).toBe('ready');
    expect(tagged(h, instanceId)).toEqual(everything);
  });

  it('waits through a throttled job and server poll instead of failing the deploy', async () => {
    const h = createFlowHarness();
    h.cloud.faults.throttle('getJob', 3);
    h.cloud.faults.throttle('getServer', 2);
    const { instanceId, operationId } = h.purchase();
    expect(await h.run(operationId)).toEqual({ status: 'succeeded' });

    expect(h.cloud.callsOf('createServer')).toHaveLength(1);
    expect(h.instance(instanceId).status).toBe('ready');
  });

  it('runs a hook that timed out once again, then succeeds', async () => {
    const h = createFlowHarness();
    onBoot(h, (vm) => {
      let runs = 0;
      vm.onExec('scripts/install.sh', () => (++runs === 1 ? { hang: true } : { exitCode: 0 }));
    });
    const { instanceId, operationId } = h.purchase();
    expect(await h.run(operationId)).toEqual({ status: 'succeeded' });

    const vm = h.remote.machine(h.instance(instanceId).eip!);
    expect(vm.commands.filter((c) => c.command.includes('scripts/install.sh'))).toHaveLength(2);
    expect(h.journal.lines('hook-install')).toContainEqual(
      expect.stringMatching(/did not finish in time .*\(attempt 1 of 2, retrying in 10 s\)$/),
    );
  });

  it('a cleanup rides out "still in use" answers and destroys everything', async () => {
    const h = createFlowHarness(withFailurePolicy('destroy'));
    h.health.status = 500;
    h.cloud.faults.inUse('deleteSecurityGroup', 2);
    h.cloud.faults.inUse('deleteSubnet', 3);
    const { instanceId, operationId } = h.purchase();
    expect(await h.run(operationId)).toMatchObject({
      status: 'failed',
      failedStep: 'health-check',
      detail: { cleanup: 'destroyed' },
    });
    expect(h.cloud.callsOf('deleteSubnet')).toHaveLength(4);
    expect(tagged(h, instanceId)).toEqual(nothing);
  });
});

describe('deploy flow: a rerun after a failure', () => {
  /** As the rerun command leaves it: inputs edited, the record rewound to the plan. */
  function rerunFromPlan(
    h: FlowHarness,
    operationId: string,
    record: StepRecord[],
    flavor: string,
  ) {
    const op = h.op(operationId);
    Object.assign(op, { status: 'running', overrides: { flavor }, reruns: op.reruns + 1 });
    Object.assign(h.instance(op.instance_id!), { status: 'deploying' });
    return h.run(operationId, {
      record: record.slice(
        0,
        record.findIndex((r) => r.name === 'plan'),
      ),
    });
  }

  it.each([
    { policy: 'keep' as const, servers: 'replaces the kept server' },
    { policy: 'destroy' as const, servers: 'creates one again' },
  ])('with another flavor $servers and trusts the new one ($policy)', async ({ policy }) => {
    const h = createFlowHarness(withFailurePolicy(policy));
    onBoot(h, (vm, nth) => {
      if (nth === 1) vm.onExec('scripts/start.sh', { exitCode: 1, stderr: 'out of memory\n' });
    });
    const { instanceId, operationId } = h.purchase();
    const record: StepRecord[] = [];
    expect(await h.run(operationId, { record })).toMatchObject({ failedStep: 'hook-start' });
    const first = structuredClone(h.instance(instanceId));
    expect(first.host_key).toBe(h.remote.machine(first.eip!).hostKey);

    expect(await rerunFromPlan(h, operationId, record, 's6.medium.2')).toEqual({
      status: 'succeeded',
    });
    const inst = h.instance(instanceId);
    const servers = h.cloud.inventory().servers;
    expect(servers.map((s) => [s.id, s.flavor])).toEqual([[inst.server_id, 's6.medium.2']]);
    expect(inst.eip).not.toBe(first.eip);
    expect(inst.host_key).toBe(h.remote.machine(inst.eip!).hostKey);
    expect(inst.status).toBe('ready');
  });
});
