import { afterAll, describe, expect, it } from 'vitest';
import type { StepRecord } from '../../../test/support/fakes/memory-steps.js';
import { createFlowHarness, type FlowHarness } from '../../../test/support/flow-harness.js';
import {
  crashAfter,
  createPrestopPackage,
  type Deployed,
  deployed,
  faultRows,
  finish,
  hooksSince,
  licensesSince,
  stepNames,
  upgrade,
  uploadsSince,
} from '../../../test/support/lifecycle.js';
import { CloudRetryable } from '../../cloud/errors.js';
import type { LoadedProduct } from '../../products/catalog.js';

const licensePath = '/opt/demo-license/license/license.key';

const prestop = createPrestopPackage();
afterAll(prestop.remove);
const envPath = '/opt/demo-license/.kgd/env';

/** The demo License product with one more sku on the basic sku's flavor (a same-flavor upgrade). */
function withPlus(products: LoadedProduct[]): LoadedProduct[] {
  const product = products.find((p) => p.name === 'demo-license')!;
  product.marketplace.skus.plus = {
    ...product.marketplace.skus.basic!,
    limits: { users: 20 },
  };
  return products;
}

const harness = (more: (p: LoadedProduct[]) => LoadedProduct[] = (p) => p) =>
  createFlowHarness({ products: (products) => more(withPlus(products)) });

/** A basic (s6.small.1) instance, deployed, and its upgrade to `sku` recorded. */
async function upgrading(h: FlowHarness, sku = 'pro') {
  const x = await deployed(h);
  expect(h.instance(x.instanceId).flavor).toBe('s6.small.1');
  return { ...x, operationId: upgrade(h, x.instanceId, sku) };
}

const server = (h: FlowHarness, x: Deployed) =>
  h.cloud.inventory().servers.find((s) => s.id === x.serverId)!;

/** The upgrade applied: the sku's flavor on the server and in the record, its license installed. */
function expectUpgraded(h: FlowHarness, x: Deployed, sku: string, flavor: string, users: number) {
  expect(server(h, x)).toMatchObject({ status: 'ACTIVE', flavor });
  expect(h.instance(x.instanceId)).toMatchObject({
    status: 'ready',
    status_detail: null,
    sku_code: sku,
    flavor,
  });
  const issued = licensesSince(h, x);
  expect(issued).toHaveLength(1);
  expect(issued[0]!.document).toMatchObject({ skuCode: sku, limits: { users } });
  expect(uploadsSince(x, licensePath)).toHaveLength(1);
  expect(x.vm.files.get(licensePath)!.content.toString()).toContain(issued[0]!.text);
  expect(x.vm.files.get(envPath)!.content.toString()).toContain(`KGD_LIMIT_USERS='${users}'`);
}

const resizeSteps = [
  'begin',
  'read-spec',
  'plan',
  'stop-server',
  'resize-server',
  'start-server',
  'wait-ssh',
  'issue-license',
  'install-license',
  'hook-start',
  'hook-poststart',
  'health-check',
  'finish',
];

describe('upgrade flow', () => {
  it('to a sku of another flavor: stop, resize, start, wait for SSH, the new license, start and poststart hooks, health', async () => {
    const h = harness();
    const x = await upgrading(h);
    const record: StepRecord[] = [];
    expect(await finish(h, x.operationId, record)).toEqual({ status: 'succeeded' });
    expect(stepNames(record)).toEqual(resizeSteps);
    expect(h.cloud.callsOf('stopServers')).toEqual([[[x.serverId], 'SOFT']]);
    expect(h.cloud.callsOf('resizeServer')).toEqual([[x.serverId, 'c7.xlarge.2']]);
    expect(h.cloud.callsOf('startServers')).toEqual([[[x.serverId]]]);
    expect(hooksSince(x)).toEqual(['start', 'poststart']);
    expectUpgraded(h, x, 'pro', 'c7.xlarge.2', 100);
    // stop → resize → start → healthy, and the buyer-visible downtime in the log
    const order = ['stopServers', 'resizeServer', 'startServers'];
    expect(h.cloud.calls.map((c) => c.method).filter((m) => order.includes(m))).toEqual(order);
    expect(h.journal.lines('health-check')).toContainEqual(
      expect.stringMatching(
        /^health-check: buyer-visible downtime of the resize: \d+ s \(down since /,
      ),
    );
  });

  it('to a sku of the same flavor: no resize, the new license and a restart', async () => {
    const h = harness();
    const x = await upgrading(h, 'plus');
    const record: StepRecord[] = [];
    expect(await finish(h, x.operationId, record)).toEqual({ status: 'succeeded' });
    expect(stepNames(record)).toEqual([
      'begin',
      'read-spec',
      'plan',
      'issue-license',
      'install-license',
      'hook-restart',
      'health-check',
      'finish',
    ]);
    expect(h.cloud.callsOf('stopServers')).toEqual([]);
    expect(h.cloud.callsOf('resizeServer')).toEqual([]);
    expect(hooksSince(x)).toEqual(['restart']);
    expectUpgraded(h, x, 'plus', 's6.small.1', 20);
  });

  it('runs prestop best effort before stopping the server: a failing prestop does not stop the upgrade', async () => {
    const h = harness(prestop.products);
    const x = await upgrading(h);
    x.vm.onExec(/scripts\/prestop\.sh/, { exitCode: 1, stderr: 'nothing to drain' });
    expect(await finish(h, x.operationId)).toEqual({ status: 'succeeded' });
    expect(hooksSince(x)).toEqual(['prestop', 'start', 'poststart']);
    expectUpgraded(h, x, 'pro', 'c7.xlarge.2', 100);
  });

  it("never resizes the buyer's own server: re-licensed and restarted", async () => {
    const h = harness();
    const id = 'kgi-own-2';
    const host = '203.0.113.8';
    h.remote.addMachine({ host, password: 'buyer-root-pw-2' });
    const x = await deployed(h, {
      id,
      private_sealed: h.secrets.sealPrivate(id, {
        extendParams: [
          { name: 'serverIp', value: host },
          { name: 'serverPassword', value: 'buyer-root-pw-2' },
        ],
      }),
    });
    expect(await finish(h, upgrade(h, id, 'pro'))).toEqual({ status: 'succeeded' });
    expect(h.cloud.callsOf('stopServers')).toEqual([]);
    expect(h.cloud.callsOf('resizeServer')).toEqual([]);
    expect(hooksSince(x)).toEqual(['restart']);
    expect(h.instance(id)).toMatchObject({ status: 'ready', sku_code: 'pro' });
  });

  it('only records the new sku of an instance with nothing deployed', async () => {
    const h = harness();
    h.cloud.faults.permanent('createServer', { message: 'quota exhausted' });
    const { instanceId, operationId: deploy } = h.purchase();
    expect(await finish(h, deploy)).toMatchObject({ status: 'failed' });
    const issued = h.licenses.issued.length;
    expect(await finish(h, upgrade(h, instanceId, 'pro'))).toEqual({ status: 'succeeded' });
    expect(h.instance(instanceId)).toMatchObject({ status: 'failed', sku_code: 'pro' });
    expect(h.licenses.issued.length).toBe(issued);
    expect(h.remote.attempts).toEqual([]);
  });

  describe('a step that fails fails the upgrade there; the record still matches the server', () => {
    type Inject = (h: FlowHarness, x: Deployed & { operationId: string }) => void;
    const failures: Array<[string, Inject]> = [
      [
        'read-spec',
        (h, x) => {
          h.op(x.operationId).params = { skuCode: 'platinum' }; // no template serves it
        },
      ],
      ['plan', (h) => h.cloud.faults.permanent('getServer')],
      ['stop-server', (h) => h.cloud.faults.permanent('stopServers')],
      ['resize-server', (h) => h.cloud.faults.soldOut({ flavor: 'c7.xlarge.2' })],
      ['start-server', (h) => h.cloud.faults.permanent('startServers')],
      ...faultRows(
        'wait-ssh',
        'issue-license',
        'install-license',
        'hook-start',
        'hook-poststart',
        'health-check',
      ),
    ];

    it.each(failures)('%s', async (step, inject) => {
      const h = harness();
      const x = await upgrading(h);
      inject(h, x);
      const outcome = await finish(h, x.operationId);
      expect(outcome).toMatchObject({ status: 'failed', failedStep: step });
      expect(h.op(x.operationId)).toMatchObject({ status: 'failed', failed_step: step });
      const inst = h.instance(x.instanceId);
      expect(inst).toMatchObject({
        status: 'ready',
        status_detail: expect.stringMatching(/^upgrade failed: /),
      });
      expect(inst.flavor).toBe(server(h, x).flavor);
      expect(h.cloud.callsOf('resizeServer').length).toBeLessThanOrEqual(1);
    });
  });

  describe('a crash after any step resumes from the record: one resize, one license', () => {
    it.each(resizeSteps.map((name, i) => [i + 1, name] as const))(
      'crash after step %i (%s)',
      async (n) => {
        const h = harness();
        const x = await upgrading(h);
        const { outcome, record } = await crashAfter(h, x.operationId, n);
        expect(outcome).toEqual({ status: 'succeeded' });
        expect(stepNames(record)).toEqual(resizeSteps);
        expect(h.cloud.callsOf('resizeServer')).toHaveLength(1);
        expect(h.cloud.callsOf('startServers')).toHaveLength(1);
        expect(hooksSince(x)).toEqual(['start', 'poststart']);
        expectUpgraded(h, x, 'pro', 'c7.xlarge.2', 100);
      },
    );

    it('a crash during resize-server, once the cloud took the resize: the replay waits for it and does not resize again', async () => {
      const h = harness();
      const x = await upgrading(h);
      const record: StepRecord[] = [];
      expect(await h.run(x.operationId, { record, stopAfter: 4 })).toBe('stopped');
      expect(stepNames(record).at(-1)).toBe('stop-server');
      // The process died inside resize-server, after its call reached the cloud.
      await h.cloud.resizeServer(x.serverId!, 'c7.xlarge.2');
      expect(server(h, x).status).toBe('RESIZE');
      expect(await finish(h, x.operationId, record)).toEqual({ status: 'succeeded' });
      expect(h.cloud.callsOf('resizeServer')).toHaveLength(1);
      expectUpgraded(h, x, 'pro', 'c7.xlarge.2', 100);
    });

    it('a server started again after the stop (from the console) is stopped before its resize, never resized running', async () => {
      const h = harness();
      const x = await upgrading(h);
      const record: StepRecord[] = [];
      expect(await h.run(x.operationId, { record, stopAfter: 4 })).toBe('stopped');
      expect(stepNames(record).at(-1)).toBe('stop-server');
      await h.cloud.startServers([x.serverId!]);
      h.clock.advance(10 * 60_000);
      expect(server(h, x).status).toBe('ACTIVE');
      expect(await finish(h, x.operationId, record)).toEqual({ status: 'succeeded' });
      expect(h.cloud.callsOf('stopServers')).toHaveLength(2);
      expect(h.cloud.callsOf('resizeServer')).toHaveLength(1);
      expectUpgraded(h, x, 'pro', 'c7.xlarge.2', 100);
    });

    it('a resize whose answer was lost: the retry finds the flavor applied and does not fail', async () => {
      const h = harness();
      const x = await upgrading(h);
      h.cloud.faults.failNext(
        'resizeServer',
        () =>
          new CloudRetryable('resizeServer: connection reset', {
            code: 'network',
            operation: 'ecs.resize',
          }),
        { afterEffect: true },
      );
      expect(await finish(h, x.operationId)).toEqual({ status: 'succeeded' });
      expect(h.cloud.callsOf('resizeServer')).toHaveLength(1);
      expectUpgraded(h, x, 'pro', 'c7.xlarge.2', 100);
    });
  });
});
