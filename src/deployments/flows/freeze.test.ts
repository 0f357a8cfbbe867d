import { afterAll, describe, expect, it } from 'vitest';
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
  marked,
  setFrozen,
  stepNames,
  uploadsSince,
  withLifecycle,
} from '../../../test/support/lifecycle.js';
import type { LoadedProduct } from '../../products/catalog.js';

type Expire = LoadedProduct['lifecycle']['expire'];

const licensePath = '/opt/demo-license/license/license.key';

const prestop = createPrestopPackage();
afterAll(prestop.remove);

const expiring = (expire: Expire, more: (p: LoadedProduct[]) => LoadedProduct[] = (p) => p) =>
  createFlowHarness({
    products: (products) => more(withLifecycle({ expire })(products)),
  });

const serverStatus = (h: FlowHarness, x: Deployed) =>
  h.cloud.inventory().servers.find((s) => s.id === x.serverId)?.status;

/** A deployed instance, expired (frozen per its product's policy). */
async function expired(h: FlowHarness, kind: 'expire' | 'freeze' = 'expire') {
  const x = await deployed(h);
  expect(await finish(h, setFrozen(h, x.instanceId, kind))).toEqual({ status: 'succeeded' });
  expect(h.instance(x.instanceId).status).toBe('frozen');
  return marked(h, x);
}

/** A deployment onto the buyer's own server, named in the order's extension parameters. */
async function deployedOnBuyersServer(h: FlowHarness) {
  const id = 'kgi-own-1';
  const host = '203.0.113.7';
  h.remote.addMachine({ host, password: 'buyer-root-pw-1' });
  return deployed(h, {
    id,
    private_sealed: h.secrets.sealPrivate(id, {
      extendParams: [
        { name: 'serverIp', value: host },
        { name: 'serverPassword', value: 'buyer-root-pw-1' },
      ],
    }),
  });
}

describe('expiry and freeze', () => {
  it.each([
    ['expire', 'stop-service'],
    ['freeze', 'stop-service'],
  ] as const)(
    '%s with expire: %s stops the service only: the stop hook, the server keeps running',
    async (kind, expire) => {
      const h = expiring(expire);
      const x = await deployed(h);
      const operationId = setFrozen(h, x.instanceId, kind);
      expect(await finish(h, operationId)).toEqual({ status: 'succeeded' });
      expect(hooksSince(x)).toEqual(['stop']);
      expect(h.cloud.callsOf('stopServers')).toEqual([]);
      expect(serverStatus(h, x)).toBe('ACTIVE');
      expect(h.instance(x.instanceId)).toMatchObject({ status: 'frozen', status_detail: null });
      expect(h.op(operationId).status).toBe('succeeded');
    },
  );

  it('stop-server powers the server off (disk kept) and runs no hook', async () => {
    const h = expiring('stop-server');
    const x = await deployed(h);
    expect(await finish(h, setFrozen(h, x.instanceId, 'expire'))).toEqual({ status: 'succeeded' });
    expect(hooksSince(x)).toEqual([]);
    expect(h.cloud.callsOf('stopServers')).toEqual([[[x.serverId], 'SOFT']]);
    expect(serverStatus(h, x)).toBe('SHUTOFF');
    expect(h.cloud.callsOf('deleteServers')).toEqual([]);
    expect(h.instance(x.instanceId).status).toBe('frozen');
  });

  it('both stops the service, then powers the server off', async () => {
    const h = expiring('both');
    const x = await deployed(h);
    expect(await finish(h, setFrozen(h, x.instanceId, 'expire'))).toEqual({ status: 'succeeded' });
    expect(hooksSince(x)).toEqual(['stop']);
    expect(serverStatus(h, x)).toBe('SHUTOFF');
    const steps = h.journal.entries.map((e) => e.step);
    expect(steps.indexOf('hook-stop')).toBeLessThan(steps.indexOf('stop-server'));
  });

  it('runs prestop best effort: a failing prestop is logged, the stop hook still runs and the freeze succeeds', async () => {
    const h = expiring('stop-service', prestop.products);
    const x = await deployed(h);
    x.vm.onExec(/scripts\/prestop\.sh/, { exitCode: 7, stderr: 'drain failed' });
    const operationId = setFrozen(h, x.instanceId, 'expire');
    expect(await finish(h, operationId)).toEqual({ status: 'succeeded' });
    expect(hooksSince(x)).toEqual(['prestop', 'stop']);
    expect(h.journal.lines('hook-prestop').join('\n')).toMatch(/prestop hook failed/);
    expect(h.instance(x.instanceId)).toMatchObject({ status: 'frozen', status_detail: null });
  });

  it('names the step that failed the freeze, not a best-effort prestop that failed before it', async () => {
    const h = expiring('stop-service', prestop.products);
    const x = await deployed(h);
    x.vm.onExec(/scripts\/prestop\.sh/, { exitCode: 7 });
    x.vm.onExec(/scripts\/stop\.sh/, { exitCode: 1, stderr: 'cannot stop' });
    const operationId = setFrozen(h, x.instanceId, 'expire');
    expect(await finish(h, operationId)).toMatchObject({
      status: 'failed',
      failedStep: 'hook-stop',
    });
    expect(h.op(operationId).failed_step).toBe('hook-stop');
  });

  it.each(['stop-server', 'both'] as const)(
    "never powers off the buyer's own server: with expire: %s its service is stopped instead",
    async (expire) => {
      const h = expiring(expire);
      const x = await deployedOnBuyersServer(h);
      expect(await finish(h, setFrozen(h, x.instanceId, 'expire'))).toEqual({
        status: 'succeeded',
      });
      expect(h.cloud.callsOf('stopServers')).toEqual([]);
      expect(hooksSince(x)).toEqual(['stop']);
      expect(h.instance(x.instanceId).status).toBe('frozen');

      expect(await finish(h, setFrozen(h, x.instanceId, 'unfreeze'))).toEqual({
        status: 'succeeded',
      });
      expect(h.cloud.callsOf('startServers')).toEqual([]);
      expect(hooksSince(x)).toEqual(['stop', 'start', 'poststart']);
      expect(h.instance(x.instanceId).status).toBe('ready');
    },
  );

  it('freezes a seller-console test order, never provisioned: only the record, which says so; unfrozen, ready again', async () => {
    const h = createFlowHarness();
    const { instanceId, operationId: deploy } = h.purchase({ test: true });
    expect(await finish(h, deploy)).toEqual({ status: 'succeeded' });
    expect(await finish(h, setFrozen(h, instanceId, 'expire'))).toEqual({ status: 'succeeded' });
    expect(h.instance(instanceId)).toMatchObject({
      status: 'frozen',
      status_detail: 'frozen before anything was deployed',
    });
    expect(await finish(h, setFrozen(h, instanceId, 'unfreeze'))).toEqual({
      status: 'succeeded',
    });
    expect(h.instance(instanceId)).toMatchObject({ status: 'ready', status_detail: null });
    expect(h.cloud.calls).toEqual([]);
    expect(h.remote.attempts).toEqual([]);
  });

  it('leaves an instance whose deploy failed failed, frozen and unfrozen: not ready with nothing deployed', async () => {
    const h = createFlowHarness();
    h.cloud.faults.permanent('createServer', { message: 'quota exhausted' });
    const { instanceId, operationId: deploy } = h.purchase();
    expect(await finish(h, deploy)).toMatchObject({ status: 'failed' });
    const failed = structuredClone(h.instance(instanceId));
    const calls = h.cloud.calls.length;
    expect(await finish(h, setFrozen(h, instanceId, 'expire'))).toEqual({ status: 'succeeded' });
    expect(h.instance(instanceId)).toMatchObject({
      status: 'failed',
      status_detail: failed.status_detail,
      frozen: true,
    });
    expect(h.journal.lines('plan').join('\n')).toMatch(/nothing deployed/);
    expect(await finish(h, setFrozen(h, instanceId, 'unfreeze'))).toEqual({
      status: 'succeeded',
    });
    expect(h.instance(instanceId)).toMatchObject({
      status: 'failed',
      status_detail: failed.status_detail,
      frozen: false,
    });
    expect(h.cloud.calls.length).toBe(calls);
    expect(h.remote.attempts).toEqual([]);
  });
});

describe('unfreeze', () => {
  const cases: Array<[Expire, string[], number]> = [
    ['stop-service', ['start', 'poststart'], 0],
    ['stop-server', ['start', 'poststart'], 1],
    ['both', ['start', 'poststart'], 1],
  ];

  it.each(cases)(
    'after expire: %s: the server back, a license, %j, a health check; ready',
    async (expire, hooks, starts) => {
      const h = expiring(expire);
      const x = await expired(h);
      const asked = h.health.asked.length;
      const operationId = setFrozen(h, x.instanceId, 'unfreeze');
      expect(await finish(h, operationId)).toEqual({ status: 'succeeded' });
      expect(h.cloud.callsOf('startServers')).toHaveLength(starts);
      expect(serverStatus(h, x)).toBe('ACTIVE');
      expect(hooksSince(x)).toEqual(hooks);
      expect(licensesSince(h, x)).toHaveLength(1);
      expect(uploadsSince(x, licensePath)).toHaveLength(1);
      expect(h.health.asked.length).toBeGreaterThan(asked);
      expect(h.instance(x.instanceId)).toMatchObject({
        status: 'ready',
        status_detail: null,
        frozen: false,
      });
    },
  );

  it('starts a server found stopped although the product only stops its service', async () => {
    const h = expiring('stop-service');
    const x = await expired(h);
    // Someone powered it off meanwhile (the buyer, from the console).
    await h.cloud.stopServers([x.serverId!], 'SOFT');
    h.clock.advance(60_000);
    expect(serverStatus(h, x)).toBe('SHUTOFF');
    expect(await finish(h, setFrozen(h, x.instanceId, 'unfreeze'))).toEqual({
      status: 'succeeded',
    });
    expect(serverStatus(h, x)).toBe('ACTIVE');
    expect(h.instance(x.instanceId).status).toBe('ready');
  });
});

type Inject = (h: FlowHarness, x: Deployed) => void;
const permanentIn =
  (method: 'getServer' | 'stopServers' | 'startServers'): Inject =>
  (h) =>
    h.cloud.faults.permanent(method, { message: `${method} refused` });

describe('a step that fails fails the operation there; the instance keeps its status', () => {
  const freezeFailures: Array<[string, Inject]> = [
    ['plan', permanentIn('getServer')],
    ['hook-stop', (_h, x) => x.vm.onExec(/scripts\/stop\.sh/, { exitCode: 1 })],
    ['stop-server', permanentIn('stopServers')],
  ];

  it.each(freezeFailures)('expiry (expire: both) at %s: still ready', async (step, inject) => {
    const h = expiring('both');
    const x = await deployed(h);
    inject(h, x);
    const operationId = setFrozen(h, x.instanceId, 'expire');
    expect(await finish(h, operationId)).toMatchObject({ status: 'failed', failedStep: step });
    expect(h.op(operationId)).toMatchObject({ status: 'failed', failed_step: step });
    expect(h.instance(x.instanceId)).toMatchObject({
      status: 'ready',
      frozen: true,
      status_detail: expect.stringMatching(/^expire failed: /),
    });
  });

  const unfreezeFailures: Array<[string, Inject]> = [
    ['plan', permanentIn('getServer')],
    ['start-server', permanentIn('startServers')],
    ...faultRows(
      'wait-ssh',
      'issue-license',
      'install-license',
      'hook-start',
      'hook-poststart',
      'health-check',
    ),
  ];

  it.each(unfreezeFailures)(
    'unfreeze (expire: stop-server) at %s: still frozen',
    async (step, inject) => {
      const h = expiring('stop-server');
      const x = await expired(h);
      inject(h, x);
      const operationId = setFrozen(h, x.instanceId, 'unfreeze');
      expect(await finish(h, operationId)).toMatchObject({ status: 'failed', failedStep: step });
      expect(h.instance(x.instanceId)).toMatchObject({
        status: 'frozen',
        frozen: false,
        status_detail: expect.stringMatching(/^unfreeze failed: /),
      });
    },
  );
});

describe('a crash after any step resumes from the record', () => {
  const freezeSteps = ['begin', 'plan', 'hook-stop', 'stop-server', 'finish'];

  it.each(freezeSteps.map((name, i) => [i + 1, name] as const))(
    'expiry (expire: both), crash after step %i (%s): stopped once, frozen',
    async (n) => {
      const h = expiring('both');
      const x = await deployed(h);
      const { outcome, record } = await crashAfter(h, setFrozen(h, x.instanceId, 'expire'), n);
      expect(outcome).toEqual({ status: 'succeeded' });
      expect(stepNames(record)).toEqual(freezeSteps);
      expect(hooksSince(x)).toEqual(['stop']);
      expect(h.cloud.callsOf('stopServers')).toHaveLength(1);
      expect(serverStatus(h, x)).toBe('SHUTOFF');
      expect(h.instance(x.instanceId).status).toBe('frozen');
    },
  );

  const unfreezeSteps = [
    'begin',
    'plan',
    'start-server',
    'wait-ssh',
    'issue-license',
    'install-license',
    'hook-start',
    'hook-poststart',
    'health-check',
    'finish',
  ];

  it.each(unfreezeSteps.map((name, i) => [i + 1, name] as const))(
    'unfreeze (expire: stop-server), crash after step %i (%s): started once, one license, ready',
    async (n) => {
      const h = expiring('stop-server');
      const x = await expired(h);
      const { outcome, record } = await crashAfter(h, setFrozen(h, x.instanceId, 'unfreeze'), n);
      expect(outcome).toEqual({ status: 'succeeded' });
      expect(stepNames(record)).toEqual(unfreezeSteps);
      expect(h.cloud.callsOf('startServers')).toHaveLength(1);
      expect(licensesSince(h, x)).toHaveLength(1);
      expect(uploadsSince(x, licensePath)).toHaveLength(1);
      expect(hooksSince(x)).toEqual(['start', 'poststart']);
      expect(h.instance(x.instanceId).status).toBe('ready');
    },
  );
});
