import { describe, expect, it, vi } from 'vitest';
import type { StepRecord } from '../../../test/support/fakes/memory-steps.js';
import { createFlowHarness, type FlowHarness } from '../../../test/support/flow-harness.js';
import {
  crashAfter,
  type Deployed,
  deployed,
  faultRows,
  finish,
  hooksSince,
  licensesSince,
  marked,
  renewal,
  setFrozen,
  stepNames,
  uploadsSince,
  withLifecycle,
} from '../../../test/support/lifecycle.js';
import { Permanent } from '../../platform/errors.js';

const licensePath = '/opt/demo-license/license/license.key';
const renewedUntil = '2028-12-31T00:00:00.000Z';

/** A deployed instance and, recorded as the marketplace's refreshInstance would, its renewal. */
async function renewing(h: FlowHarness) {
  const x = await deployed(h);
  const operationId = await renewal(h, x.instanceId, { expireTime: renewedUntil });
  return { ...x, operationId };
}

/** A deployed instance frozen by its expiry (the server off: `expire: stop-server`), then renewed. */
async function renewingExpired(h: FlowHarness) {
  const x = await deployed(h);
  expect(await finish(h, setFrozen(h, x.instanceId, 'expire'))).toEqual({ status: 'succeeded' });
  expect(serverStatus(h, x)).toBe('SHUTOFF');
  const operationId = await renewal(h, x.instanceId, { expireTime: renewedUntil });
  return { ...marked(h, x), operationId };
}

const stopServerOnExpiry = () =>
  createFlowHarness({ products: withLifecycle({ expire: 'stop-server' }) });

const serverStatus = (h: FlowHarness, x: Deployed) =>
  h.cloud.inventory().servers.find((s) => s.id === x.serverId)?.status;

/** The license on the server is the renewal's: its text, with the new expiry. */
function expectRenewedLicense(h: FlowHarness, x: Deployed) {
  const issued = licensesSince(h, x);
  expect(issued).toHaveLength(1);
  expect(issued[0]!.expires_at?.toISOString()).toBe(renewedUntil);
  expect(issued[0]!.idempotency_key).toMatch(/^renew:/);
  const installed = uploadsSince(x, licensePath);
  expect(installed).toHaveLength(1);
  const file = x.vm.files.get(licensePath)!.content.toString();
  expect(file).toContain(issued[0]!.text);
  expect(file).toContain(`expires ${renewedUntil}`);
}

describe('renew flow', () => {
  it('renews a running instance: the new license on the server, the update hook, a health check; the instance stays ready', async () => {
    const h = createFlowHarness();
    const x = await renewing(h);
    const asked = h.health.asked.length;
    expect(await finish(h, x.operationId)).toEqual({ status: 'succeeded' });
    expectRenewedLicense(h, x);
    expect(hooksSince(x)).toEqual(['update']);
    expect(h.health.asked.length).toBeGreaterThan(asked);
    expect(h.cloud.callsOf('stopServers')).toEqual([]);
    expect(h.cloud.callsOf('startServers')).toEqual([]);
    expect(h.instance(x.instanceId)).toMatchObject({
      status: 'ready',
      status_detail: null,
      expires_at: new Date(renewedUntil),
    });
    expect(h.op(x.operationId).status).toBe('succeeded');
  });

  it('restarts the application instead when the product says lifecycle.renew: restart', async () => {
    const h = createFlowHarness({
      products: withLifecycle({ renew: 'restart' }),
    });
    const x = await renewing(h);
    expect(await finish(h, x.operationId)).toEqual({ status: 'succeeded' });
    expectRenewedLicense(h, x);
    expect(hooksSince(x)).toEqual(['restart']);
    expect(h.instance(x.instanceId).status).toBe('ready');
  });

  it('brings an instance frozen by its expiry back: server started, the new license, start and poststart hooks, health; ready', async () => {
    const h = stopServerOnExpiry();
    const x = await renewingExpired(h);
    expect(h.instance(x.instanceId).status).toBe('frozen');
    expect(await finish(h, x.operationId)).toEqual({ status: 'succeeded' });
    expect(serverStatus(h, x)).toBe('ACTIVE');
    expect(h.cloud.callsOf('startServers')).toHaveLength(1);
    expectRenewedLicense(h, x);
    expect(hooksSince(x)).toEqual(['start', 'poststart']);
    expect(h.instance(x.instanceId)).toMatchObject({
      status: 'ready',
      status_detail: null,
      frozen: false,
    });
  });

  it('starts the service of an instance frozen by its expiry whose server kept running (expire: stop-service)', async () => {
    const h = createFlowHarness();
    const x = await deployed(h);
    expect(await finish(h, setFrozen(h, x.instanceId, 'expire'))).toEqual({ status: 'succeeded' });
    const y = marked(h, x);
    const operationId = await renewal(h, x.instanceId, { expireTime: renewedUntil });
    expect(await finish(h, operationId)).toEqual({ status: 'succeeded' });
    expect(h.cloud.callsOf('startServers')).toEqual([]);
    expectRenewedLicense(h, y);
    expect(hooksSince(y)).toEqual(['start', 'poststart']);
    expect(h.instance(x.instanceId).status).toBe('ready');
  });

  it('starts an instance frozen by the marketplace (FREEZE) when its renewal lifted the freeze: on V2 the expiry arrives as that same call', async () => {
    const h = stopServerOnExpiry();
    const x = await deployed(h);
    expect(await finish(h, setFrozen(h, x.instanceId, 'freeze'))).toEqual({ status: 'succeeded' });
    const operationId = await renewal(h, x.instanceId, { expireTime: renewedUntil });
    expect(h.instance(x.instanceId).frozen).toBe(false);
    expect(await finish(h, operationId)).toEqual({ status: 'succeeded' });
    expect(serverStatus(h, x)).toBe('ACTIVE');
    expect(h.instance(x.instanceId).status).toBe('ready');
  });

  it('leaves frozen an instance whose renewal does not lift the freeze (a cancelled renewal period): the license recorded, the server untouched until it is unfrozen', async () => {
    const h = stopServerOnExpiry();
    const x = await deployed(h);
    expect(await finish(h, setFrozen(h, x.instanceId, 'expire'))).toEqual({ status: 'succeeded' });
    const y = marked(h, x);
    const until = '2027-06-30T00:00:00.000Z';
    const cancelled = await renewal(h, x.instanceId, {
      expireTime: until,
      scene: 'UNSUBSCRIBE_RENEWAL_PERIOD',
    });
    expect(h.instance(x.instanceId).frozen).toBe(true);
    const attempts = h.remote.attempts.length;
    expect(await finish(h, cancelled)).toEqual({ status: 'succeeded' });
    expect(licensesSince(h, y).map((l) => l.expires_at?.toISOString())).toEqual([until]);
    expect(h.cloud.callsOf('startServers')).toEqual([]);
    expect(serverStatus(h, x)).toBe('SHUTOFF');
    expect(h.remote.attempts.length).toBe(attempts);
    expect(h.instance(x.instanceId)).toMatchObject({ status: 'frozen', frozen: true });

    // The marketplace unfreezes it: the server gets a license for the period now paid.
    expect(await finish(h, setFrozen(h, x.instanceId, 'unfreeze'))).toEqual({
      status: 'succeeded',
    });
    expect(h.instance(x.instanceId).status).toBe('ready');
    expect(x.vm.files.get(licensePath)!.content.toString()).toContain(`expires ${until}`);
    expect(hooksSince(y)).toEqual(['start', 'poststart']);
  });

  it('leaves frozen an instance frozen again after its renewal was recorded (a FREEZE queued behind it)', async () => {
    const h = stopServerOnExpiry();
    const x = await renewingExpired(h);
    const freeze = setFrozen(h, x.instanceId, 'freeze');
    expect(await finish(h, x.operationId)).toEqual({ status: 'succeeded' });
    expect(await finish(h, freeze)).toEqual({ status: 'succeeded' });
    expect(h.cloud.callsOf('startServers')).toEqual([]);
    expect(h.cloud.callsOf('stopServers')).toHaveLength(1); // the expiry's: still off since
    expect(h.instance(x.instanceId).status).toBe('frozen');
  });

  it('only records the license of an instance with nothing deployed (its deploy failed)', async () => {
    const h = createFlowHarness();
    h.cloud.faults.permanent('createServer', { message: 'quota exhausted' });
    const { instanceId, operationId: deploy } = h.purchase();
    expect(await finish(h, deploy)).toMatchObject({ status: 'failed' });
    const before = structuredClone(h.instance(instanceId));
    const issued = h.licenses.issued.length;
    const operationId = await renewal(h, instanceId, { expireTime: renewedUntil });
    const attempts = h.remote.attempts.length;
    expect(await finish(h, operationId)).toEqual({ status: 'succeeded' });
    expect(h.licenses.issued.slice(issued).map((l) => l.expires_at?.toISOString())).toEqual([
      renewedUntil,
    ]);
    expect(h.remote.attempts.length).toBe(attempts);
    expect(h.instance(instanceId)).toMatchObject({
      status: before.status,
      status_detail: before.status_detail,
      expires_at: new Date(renewedUntil),
    });
  });

  it('only records the license of a seller-console test order (nothing was provisioned)', async () => {
    const h = createFlowHarness();
    const { instanceId, operationId: deploy } = h.purchase({ test: true });
    expect(await finish(h, deploy)).toEqual({ status: 'succeeded' });
    const operationId = await renewal(h, instanceId, { expireTime: renewedUntil });
    expect(await finish(h, operationId)).toEqual({ status: 'succeeded' });
    expect(h.licenses.issued.map((l) => l.idempotency_key)).toEqual([
      expect.stringMatching(/^renew:/),
    ]);
    expect(h.remote.attempts).toEqual([]);
    expect(h.instance(instanceId).status).toBe('ready');
  });

  it('brings a seller-console test order frozen by its expiry back to ready: only the license and the record', async () => {
    const h = createFlowHarness();
    const { instanceId, operationId: deploy } = h.purchase({ test: true });
    expect(await finish(h, deploy)).toEqual({ status: 'succeeded' });
    expect(await finish(h, setFrozen(h, instanceId, 'expire'))).toEqual({ status: 'succeeded' });
    const operationId = await renewal(h, instanceId, { expireTime: renewedUntil });
    expect(await finish(h, operationId)).toEqual({ status: 'succeeded' });
    expect(h.instance(instanceId)).toMatchObject({ status: 'ready', frozen: false });
    expect(h.licenses.issued).toHaveLength(1);
    expect(h.remote.attempts).toEqual([]);
  });

  describe('a step that fails fails the renewal there, and leaves the instance as it was', () => {
    const failures: Array<[step: string, inject: (h: FlowHarness, x: Deployed) => void]> = [
      ['plan', (h) => h.cloud.faults.permanent('getServer', { message: 'account frozen' })],
      ...faultRows('issue-license'),
      [
        'check-frozen',
        (h) => vi.spyOn(h.d, 'freezeState').mockRejectedValue(new Permanent('database gone')),
      ],
      ['install-license', (_h, x) => void x.vm.rotateHostKey()],
      ['hook-update', (_h, x) => x.vm.onExec(/scripts\/update\.sh/, { exitCode: 2, stderr: 'no' })],
      ...faultRows('health-check'),
    ];

    it.each(failures)('%s', async (step, inject) => {
      const h = createFlowHarness();
      const x = await renewing(h);
      const before = structuredClone(h.instance(x.instanceId));
      inject(h, x);
      const outcome = await finish(h, x.operationId);
      expect(outcome).toMatchObject({ status: 'failed', failedStep: step });
      expect(h.op(x.operationId)).toMatchObject({ status: 'failed', failed_step: step });
      const inst = h.instance(x.instanceId);
      expect(inst.status).toBe('ready');
      expect(inst.status_detail).toMatch(/^renew failed: /);
      // The renewal's record stands (the marketplace was answered): the instance is otherwise as it was.
      expect({ ...inst, status_detail: null, updated_at: null }).toEqual({
        ...before,
        status_detail: null,
        updated_at: null,
      });
    });

    const frozenFailures: Array<[step: string, inject: (h: FlowHarness, x: Deployed) => void]> = [
      ['start-server', (h) => h.cloud.faults.permanent('startServers')],
      ...faultRows('wait-ssh', 'install-license', 'hook-start', 'hook-poststart'),
      [
        'health-check',
        (h) => {
          h.health.status = 502;
        },
      ],
    ];

    it.each(frozenFailures)(
      '%s, renewing an expired instance: it stays frozen',
      async (step, inject) => {
        const h = stopServerOnExpiry();
        const x = await renewingExpired(h);
        inject(h, x);
        expect(await finish(h, x.operationId)).toMatchObject({
          status: 'failed',
          failedStep: step,
        });
        expect(h.instance(x.instanceId)).toMatchObject({
          status: 'frozen',
          status_detail: expect.stringMatching(/^renew failed: /),
        });
      },
    );
  });

  describe('a crash after any step resumes from the record: one new license, installed once', () => {
    const running = [
      'begin',
      'plan',
      'issue-license',
      'check-frozen',
      'install-license',
      'hook-update',
      'health-check',
      'finish',
    ];

    it('runs these steps, in this order', async () => {
      const h = createFlowHarness();
      const x = await renewing(h);
      const record: StepRecord[] = [];
      await finish(h, x.operationId, record);
      expect(stepNames(record)).toEqual(running);
    });

    it.each(running.map((name, i) => [i + 1, name] as const))(
      'running instance, crash after step %i (%s)',
      async (n) => {
        const h = createFlowHarness();
        const x = await renewing(h);
        const { outcome, record } = await crashAfter(h, x.operationId, n);
        expect(outcome).toEqual({ status: 'succeeded' });
        expect(stepNames(record)).toEqual(running);
        expectRenewedLicense(h, x);
        expect(hooksSince(x)).toEqual(['update']);
        expect(h.instance(x.instanceId).status).toBe('ready');
      },
    );

    const expired = [
      'begin',
      'plan',
      'issue-license',
      'check-frozen',
      'start-server',
      'wait-ssh',
      'install-license',
      'hook-start',
      'hook-poststart',
      'health-check',
      'finish',
    ];

    it.each(expired.map((name, i) => [i + 1, name] as const))(
      'instance frozen by its expiry, crash after step %i (%s)',
      async (n) => {
        const h = stopServerOnExpiry();
        const x = await renewingExpired(h);
        const { outcome, record } = await crashAfter(h, x.operationId, n);
        expect(outcome).toEqual({ status: 'succeeded' });
        expect(stepNames(record)).toEqual(expired);
        expectRenewedLicense(h, x);
        expect(h.cloud.callsOf('startServers')).toHaveLength(1);
        expect(hooksSince(x)).toEqual(['start', 'poststart']);
        expect(h.instance(x.instanceId).status).toBe('ready');
      },
    );
  });
});
