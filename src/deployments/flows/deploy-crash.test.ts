import { describe, expect, it } from 'vitest';
import type { StepRecord } from '../../../test/support/fakes/memory-steps.js';
import { createFlowHarness, type FlowHarness } from '../../../test/support/flow-harness.js';
import { tagKeys } from '../../cloud/tags.js';

/**
 * A crash after every step: the run dies once `n` steps are checkpointed, and a new run over the
 * same record resumes it. Also the harsher crash inside step `n`: its side effects happened, its
 * checkpoint was lost, so the replay runs it again. Either way the deploy ends as one
 * uninterrupted run does: one server, one network, one license, each hook once (twice only for
 * the hook whose checkpoint was lost: hooks are written to run again).
 */

const products = {
  license: {
    row: {},
    steps: [
      'begin',
      'plan',
      'ensure-network',
      'ensure-security-group',
      'prepare-credentials',
      'create-server',
      'wait-server-job',
      'wait-server-active',
      'wait-ssh',
      'upload-package',
      'issue-license',
      'install-license',
      'hook-install',
      'hook-start',
      'hook-poststart',
      'health-check',
      'ready',
      'finish',
    ],
    scripts: {
      'hook-install': 'scripts/install.sh',
      'hook-start': 'scripts/start.sh',
      'hook-poststart': 'scripts/poststart.sh',
    } as Record<string, string>,
  },
  image: {
    row: { product_id: 'OFFI-DEMO-IMAGE', sku_code: 'standard' },
    steps: [
      'begin',
      'plan',
      'ensure-network',
      'ensure-security-group',
      'prepare-credentials',
      'create-server',
      'wait-server-job',
      'wait-server-active',
      'wait-ssh',
      'issue-license',
      'install-license',
      'first-boot',
      'health-check',
      'ready',
      'finish',
    ],
    scripts: { 'first-boot': 'firstboot.sh' } as Record<string, string>,
  },
};
type Product = keyof typeof products;

/** Runs until `n` steps are checkpointed; the record as the process left it, and the last entry. */
async function crash(h: FlowHarness, operationId: string, n: number) {
  const ended: number[] = []; // record positions in the order their steps ended
  const record = new Proxy<StepRecord[]>([], {
    set(target, key, value, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) ended.push(Number(key));
      return Reflect.set(target, key, value, receiver);
    },
  });
  expect(await h.run(operationId, { record, stopAfter: n })).toBe('stopped');
  // A copy: a step still running beside the one that ended (the network and the group are made
  // side by side) must not reach the record the next process reads.
  return { record: [...record], last: ended.at(-1)! };
}

/** The record without the entry at `lost`: that step ran, its checkpoint did not survive. */
function withoutCheckpoint(record: StepRecord[], lost: number) {
  const kept: StepRecord[] = [];
  record.forEach((r, i) => {
    if (r && i !== lost) kept[i] = r;
  });
  return kept;
}

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

/** One uninterrupted deploy's result; `ranTwice`: the step whose lost checkpoint made it run again. */
function expectDeployedOnce(
  h: FlowHarness,
  product: Product,
  instanceId: string,
  ranTwice?: string,
) {
  const inst = h.instance(instanceId);
  expect(inst.status).toBe('ready');
  expect(tagged(h, instanceId)).toEqual({
    servers: 1,
    vpcs: 1,
    subnets: 1,
    securityGroups: 1,
    eips: 1,
  });
  expect(h.cloud.callsOf('createServer')).toHaveLength(1);
  expect(h.cloud.inventory().servers[0]).toMatchObject({
    id: inst.server_id,
    floatingIps: [inst.eip],
  });
  expect(h.licenses.issued).toHaveLength(1);
  const vm = h.remote.machine(inst.eip!);
  expect(inst.host_key).toBe(vm.hostKey);
  const licensePath = `/opt/demo-${product}/license/license.key`;
  expect(vm.files.get(licensePath)!.content.toString()).toContain(h.licenses.issued[0]!.text);

  const { scripts } = products[product];
  const expected = Object.entries(scripts).flatMap(([step, script]) =>
    step === ranTwice ? [script, script] : [script],
  );
  const ran = vm.commands
    .map((c) => Object.values(scripts).find((script) => c.command.endsWith(script)))
    .filter(Boolean);
  expect(ran).toEqual(expected);
  if (product === 'license') {
    const packages = vm.uploads.filter((u) => u.remotePath.endsWith('/.kgd/package.tar.gz'));
    expect(packages.filter((u) => !u.skipped)).toHaveLength(1);
    expect(packages).toHaveLength(ranTwice === 'upload-package' ? 2 : 1);
  }
}

describe.each(Object.keys(products) as Product[])('deploy of the %s product', (product) => {
  const { row, steps } = products[product];
  const crashes = steps.map((step, i) => ({ n: i + 1, step }));

  it('records these steps in an uninterrupted run', async () => {
    const h = createFlowHarness();
    const { instanceId, operationId } = h.purchase(row);
    const record: StepRecord[] = [];
    expect(await h.run(operationId, { record })).toEqual({ status: 'succeeded' });
    expect(record.map((r) => r.name)).toEqual(steps);
    expectDeployedOnce(h, product, instanceId);
  });

  it.each(crashes)('resumes after a crash once $n steps are checkpointed', async ({ n }) => {
    const h = createFlowHarness();
    const { instanceId, operationId } = h.purchase(row);
    const { record } = await crash(h, operationId, n);

    expect(await h.run(operationId, { record })).toEqual({ status: 'succeeded' });
    expect(h.op(operationId).status).toBe('succeeded');
    expectDeployedOnce(h, product, instanceId);
  });

  it.each(crashes)(
    'runs the step that ended $n-th again after a crash lost its checkpoint',
    async ({ n }) => {
      const h = createFlowHarness();
      const { instanceId, operationId } = h.purchase(row);
      const { record, last } = await crash(h, operationId, n);
      const lost = record[last]!.name;

      expect(await h.run(operationId, { record: withoutCheckpoint(record, last) })).toEqual({
        status: 'succeeded',
      });
      expect(h.op(operationId).status).toBe('succeeded');
      expectDeployedOnce(h, product, instanceId, lost);
    },
  );
});

describe('a deploy falling back to the next AZ', () => {
  const loop = ['create-server', 'wait-server-job', 'create-server', 'wait-server-job'];
  const before = products.license.steps.indexOf('create-server');
  const crashes = loop.flatMap((step, i) => [
    { n: before + i + 1, step, lost: false },
    { n: before + i + 1, step, lost: true },
  ]);

  it.each(crashes)(
    'creates one server in the next AZ after a crash at step $n ($step), checkpoint lost: $lost',
    async ({ n, lost }) => {
      const h = createFlowHarness();
      h.cloud.faults.soldOut({ az: 'cn-north-4a' });
      const { instanceId, operationId } = h.purchase();
      const { record, last } = await crash(h, operationId, n);
      expect(record.slice(before).map((r) => r.name)).toEqual(loop.slice(0, n - before));

      const replay = lost ? withoutCheckpoint(record, last) : record;
      expect(await h.run(operationId, { record: replay })).toEqual({ status: 'succeeded' });
      expect(h.cloud.callsOf('createServer').map(([i]) => (i as { az: string }).az)).toEqual([
        'cn-north-4a',
        'cn-north-4b',
      ]);
      expect(h.cloud.inventory().servers.map((s) => s.az)).toEqual(['cn-north-4b']);
      expect(h.instance(instanceId)).toMatchObject({ status: 'ready', az: 'cn-north-4b' });
    },
  );
});

describe("a failed deploy's cleanup", () => {
  const cleanup = ['failure-policy', 'delete-servers', 'delete-network', 'verify-teardown'];
  const deploy = products.license.steps.slice(0, products.license.steps.indexOf('ready'));
  const steps = [...deploy, ...cleanup, 'finish'];
  // From the failed health check on: the crashes before it are those of a deploy, above.
  const crashes = steps
    .map((step, i) => ({ n: i + 1, step, lost: false }))
    .slice(deploy.length - 1);

  function failingDeploy() {
    const h = createFlowHarness({
      products: (ps) =>
        ps.map((p) => ({ ...p, lifecycle: { ...p.lifecycle, onFailure: 'destroy' as const } })),
    });
    h.health.status = 500;
    return { h, ...h.purchase() };
  }

  it('records these steps when the health check fails for good', async () => {
    const { h, operationId } = failingDeploy();
    const record: StepRecord[] = [];
    expect(await h.run(operationId, { record })).toMatchObject({
      status: 'failed',
      failedStep: 'health-check',
    });
    expect(record.map((r) => r.name)).toEqual(steps);
  });

  it.each(crashes.flatMap((c) => [c, { ...c, lost: true }]))(
    'ends with nothing left after a crash at step $n ($step), checkpoint lost: $lost',
    async ({ n, lost }) => {
      const { h, instanceId, operationId } = failingDeploy();
      const { record, last } = await crash(h, operationId, n);

      const replay = lost ? withoutCheckpoint(record, last) : record;
      expect(await h.run(operationId, { record: replay })).toEqual({
        status: 'failed',
        failedStep: 'health-check',
        error: expect.stringMatching(/^health check failed .* \(created resources destroyed\)$/),
        detail: expect.objectContaining({ cleanup: 'destroyed' }),
      });
      expect(h.instance(instanceId).status).toBe('failed');
      expect(h.op(operationId)).toMatchObject({ status: 'failed', failed_step: 'health-check' });
      expect(tagged(h, instanceId)).toEqual({
        servers: 0,
        vpcs: 0,
        subnets: 0,
        securityGroups: 0,
        eips: 0,
      });
    },
  );
});
