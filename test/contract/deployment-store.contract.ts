import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentStore, OperationSnapshot } from '../../src/deployments/ports.js';
import type { Clock } from '../../src/platform/clock.js';
import type {
  Instance,
  InstanceStatus,
  Operation,
  OperationStatus,
} from '../../src/platform/db/schema.js';
import { createManualClock } from '../support/fakes/manual-clock.js';

/** One `DeploymentStore` ready for the suite, with what the suite needs around it. */
export interface StoreUnderTest {
  store: DeploymentStore;
  /** Rows put in place as the commands would have written them (defaults as the fake's). */
  seed: {
    instance(row: Partial<Instance> & { id: string }): Promise<void>;
    operation(row: Partial<Operation> & { id: string; kind: Operation['kind'] }): Promise<void>;
  };
  /** An operation's row as it is now, read out of band (the port has no reader for it). */
  operation(id: string): Promise<Operation | undefined>;
  /** An operator's rerun edits, written out of band while the operation runs. */
  amendOperation(
    id: string,
    patch: { overrides: Record<string, unknown>; reruns: number },
  ): Promise<void>;
  close(): Promise<void>;
}

const start = new Date('2026-11-23T08:00:00.000Z');
const minute = 60_000;
const ended: OperationStatus[] = [
  'succeeded',
  'failed',
  'cancelled',
  'superseded',
  'cleanup_failed',
];
const everyStatus: InstanceStatus[] = [
  'pending',
  'deploying',
  'ready',
  'frozen',
  'failed',
  'releasing',
  'released',
  'cleanup_failed',
];

/**
 * The `DeploymentStore` contract (deployments/ports.ts), run against the in-memory fake and
 * `createDeploymentStore` over PostgreSQL: the fake the flow tests run on behaves, for the
 * engine, as the store the service runs on. Each test uses its own instance and operation ids.
 *
 * @example
 *   describeDeploymentStoreContract('the fake', async (clock) => { const store = createFakeStore({ clock }); ... });
 */
export function describeDeploymentStoreContract(
  name: string,
  makeStore: (clock: Clock) => Promise<StoreUnderTest>,
): void {
  describe(`DeploymentStore contract: ${name}`, () => {
    const clock = createManualClock({ start });
    let t: StoreUnderTest;
    let store: DeploymentStore;
    beforeAll(async () => {
      t = await makeStore(clock);
      store = t.store;
    });
    afterAll(() => t?.close());

    const later = (ms = minute) => {
      clock.advance(ms);
      return clock.now();
    };
    const instance = async (id: string) => (await store.instance(id))!;
    const op = async (id: string) => (await t.operation(id))!;

    /** An instance and its operation, begun: what a running flow holds. */
    async function running(
      id: string,
      kind: Operation['kind'],
      status: InstanceStatus,
      over: Partial<Operation> = {},
    ): Promise<OperationSnapshot> {
      await t.seed.instance({ id, status, order_id: `CS-${id}` });
      await t.seed.operation({
        id: `op-${id}-${kind}`,
        kind,
        instance_id: id,
        order_id: `CS-${id}`,
        ...over,
      });
      return (await store.beginOperation(`op-${id}-${kind}`))!;
    }

    describe('instances', () => {
      it('instance answers the row (a copy), undefined for an unknown id', async () => {
        await t.seed.instance({
          id: 'kgi-s1',
          status: 'ready',
          order_id: 'CS-S1',
          product_id: 'OFFI-DEMO',
          sku_code: 'basic',
          order_params: { region: 'cn-north-4' },
          expires_at: new Date('2027-01-31T15:59:59.000Z'),
        });
        const inst = await instance('kgi-s1');
        expect(inst).toMatchObject({
          id: 'kgi-s1',
          status: 'ready',
          order_id: 'CS-S1',
          product_id: 'OFFI-DEMO',
          sku_code: 'basic',
          order_params: { region: 'cn-north-4' },
          host_key: null,
          server_id: null,
        });
        expect(inst.expires_at).toEqual(new Date('2027-01-31T15:59:59.000Z'));
        inst.status = 'failed';
        inst.order_params.region = 'elsewhere';
        expect(await instance('kgi-s1')).toMatchObject({
          status: 'ready',
          order_params: { region: 'cn-north-4' },
        });
        expect(await store.instance('kgi-none')).toBeUndefined();
      });

      it('updateInstance writes the patch only; dates given as Date or ISO text come back as Dates', async () => {
        await t.seed.instance({ id: 'kgi-s2', status: 'deploying', sku_code: 'basic' });
        const readyAt = later();
        await store.updateInstance('kgi-s2', {
          server_id: 'ecs-1',
          eip: '100.64.0.10',
          flavor: 's6.medium.2',
          // Steps return JSON: their dates arrive as ISO text.
          expires_at: '2027-03-31T15:59:59.000Z',
          alerted_at: '2026-11-23T08:01:00.000Z',
          ready_at: readyAt,
          status_detail: null,
        });
        const inst = await instance('kgi-s2');
        expect(inst).toMatchObject({
          status: 'deploying',
          sku_code: 'basic',
          server_id: 'ecs-1',
          eip: '100.64.0.10',
          flavor: 's6.medium.2',
          status_detail: null,
        });
        for (const [column, at] of [
          ['expires_at', '2027-03-31T15:59:59.000Z'],
          ['alerted_at', '2026-11-23T08:01:00.000Z'],
          ['ready_at', readyAt.toISOString()],
        ] as const) {
          expect(inst[column], column).toBeInstanceOf(Date);
          expect((inst[column] as Date).toISOString(), column).toBe(at);
        }
        await store.updateInstance('kgi-none', { server_id: 'ecs-x' });
        expect(await store.instance('kgi-none')).toBeUndefined();
      });

      it('pinHostKey records the first key only; false once one is pinned, or for no instance', async () => {
        await t.seed.instance({ id: 'kgi-s3', status: 'deploying' });
        const key = `SHA256:${'a'.repeat(43)}`;
        expect(await store.pinHostKey('kgi-s3', key)).toBe(true);
        expect(await store.pinHostKey('kgi-s3', `SHA256:${'b'.repeat(43)}`)).toBe(false);
        expect(await store.pinHostKey('kgi-s3', key)).toBe(false);
        expect((await instance('kgi-s3')).host_key).toBe(key);
        expect(await store.pinHostKey('kgi-none', key)).toBe(false);
      });

      it('setRootPasswordOnce keeps the first sealed password ever set', async () => {
        await t.seed.instance({ id: 'kgi-s4', status: 'deploying' });
        await store.setRootPasswordOnce('kgi-s4', 'kgd1.k.first');
        await store.setRootPasswordOnce('kgi-s4', 'kgd1.k.second');
        expect((await instance('kgi-s4')).root_password_sealed).toBe('kgd1.k.first');
      });
    });

    describe('beginOperation', () => {
      it('marks it running, counts the attempt, keeps the first start, answers the snapshot', async () => {
        await t.seed.instance({ id: 'kgi-b1', status: 'pending', order_id: 'CS-B1', test: true });
        await t.seed.operation({
          id: 'op-b1',
          kind: 'deploy',
          instance_id: 'kgi-b1',
          order_id: 'CS-B1',
          order_line_id: 'CS-B1-000001',
          params: { thin: true, sku: 'basic' },
          test: true,
        });
        const first = later();
        expect(await store.beginOperation('op-b1')).toEqual({
          id: 'op-b1',
          kind: 'deploy',
          instanceId: 'kgi-b1',
          orderId: 'CS-B1',
          orderLineId: 'CS-B1-000001',
          params: { thin: true, sku: 'basic' },
          test: true,
          attempt: 1,
        } satisfies OperationSnapshot);
        expect(await op('op-b1')).toMatchObject({ status: 'running', attempts: 1 });
        expect((await op('op-b1')).started_at).toEqual(first);
        later();
        // A workflow resumed after a crash begins again: one more attempt, same start.
        expect((await store.beginOperation('op-b1'))?.attempt).toBe(2);
        expect(await op('op-b1')).toMatchObject({ status: 'running', attempts: 2 });
        expect((await op('op-b1')).started_at).toEqual(first);
      });

      it("moves a deploy's instance to deploying from pending, failed or deploying only", async () => {
        const at = later();
        for (const status of everyStatus) {
          await t.seed.instance({ id: `kgi-b2-${status}`, status });
          await t.seed.operation({
            id: `op-b2-${status}`,
            kind: 'deploy',
            instance_id: `kgi-b2-${status}`,
          });
        }
        const moved = later();
        for (const status of everyStatus) {
          expect(await store.beginOperation(`op-b2-${status}`), status).not.toBeNull();
          const inst = await instance(`kgi-b2-${status}`);
          const deployable = ['pending', 'failed', 'deploying'].includes(status);
          expect(inst.status, status).toBe(deployable ? 'deploying' : status);
          expect(inst.updated_at, status).toEqual(deployable ? moved : at);
        }
      });

      it('leaves the instance of any other kind alone', async () => {
        await running('kgi-b3', 'renew', 'pending');
        await running('kgi-b4', 'release', 'failed');
        expect((await instance('kgi-b3')).status).toBe('pending');
        expect((await instance('kgi-b4')).status).toBe('failed');
      });

      it('answers null for an unknown operation or one that ended, and changes nothing', async () => {
        expect(await store.beginOperation('op-none')).toBeNull();
        await t.seed.instance({ id: 'kgi-b5', status: 'failed' });
        for (const status of ended) {
          await t.seed.operation({
            id: `op-b5-${status}`,
            kind: 'deploy',
            instance_id: 'kgi-b5',
            status,
            attempts: 1,
          });
          expect(await store.beginOperation(`op-b5-${status}`), status).toBeNull();
          expect(await op(`op-b5-${status}`), status).toMatchObject({ status, attempts: 1 });
        }
        expect((await instance('kgi-b5')).status).toBe('failed');
      });

      it('names an order-level operation (no instance) order:<orderId>', async () => {
        await t.seed.operation({ id: 'op-b6', kind: 'sync', order_id: 'CS-B6' });
        expect(await store.beginOperation('op-b6')).toMatchObject({
          kind: 'sync',
          instanceId: 'order:CS-B6',
          orderId: 'CS-B6',
          attempt: 1,
        });
      });
    });

    describe('finishOperation', () => {
      it('a success ends the operation and applies the patch, both at once', async () => {
        const snap = await running('kgi-f1', 'deploy', 'pending');
        const at = later();
        await store.finishOperation(
          snap,
          { status: 'succeeded' },
          { status: 'ready', ready_at: at, eip: '100.64.0.11', status_detail: null },
        );
        expect(await op(snap.id)).toMatchObject({
          status: 'succeeded',
          failed_step: null,
          error: null,
        });
        expect((await op(snap.id)).finished_at).toEqual(at);
        expect(await instance('kgi-f1')).toMatchObject({
          status: 'ready',
          eip: '100.64.0.11',
          ready_at: at,
          updated_at: at,
        });
      });

      it('a success without a patch leaves the instance as it is', async () => {
        const snap = await running('kgi-f2', 'renew', 'ready');
        const before = await instance('kgi-f2');
        later();
        await store.finishOperation(snap, { status: 'succeeded' });
        expect((await op(snap.id)).status).toBe('succeeded');
        expect(await instance('kgi-f2')).toEqual(before);
      });

      it('a failed or cancelled deploy fails its instance with the error', async () => {
        const failed = await running('kgi-f3', 'deploy', 'pending');
        const at = later();
        await store.finishOperation(failed, {
          status: 'failed',
          failedStep: 'create-server',
          error: 'no capacity for s6.medium.2 in any AZ',
          detail: { code: 'Ecs.0000', azs: ['cn-north-4a'] },
        });
        expect(await op(failed.id)).toMatchObject({
          status: 'failed',
          failed_step: 'create-server',
          error: { code: 'Ecs.0000', azs: ['cn-north-4a'] },
        });
        expect(await instance('kgi-f3')).toMatchObject({
          status: 'failed',
          status_detail: 'no capacity for s6.medium.2 in any AZ',
          updated_at: at,
        });

        const cancelled = await running('kgi-f4', 'deploy', 'failed');
        await store.finishOperation(cancelled, {
          status: 'cancelled',
          failedStep: 'install',
          error: 'cancelled',
        });
        expect(await op(cancelled.id)).toMatchObject({ status: 'cancelled', error: null });
        expect(await instance('kgi-f4')).toMatchObject({
          status: 'failed',
          status_detail: 'cancelled',
        });
      });

      it('cleanup_failed, of any kind, and a failed release leave the instance cleanup_failed', async () => {
        const deploy = await running('kgi-f5', 'deploy', 'pending');
        await store.finishOperation(deploy, {
          status: 'cleanup_failed',
          failedStep: 'delete-network',
          error: 'vpc still in use',
        });
        expect(await instance('kgi-f5')).toMatchObject({
          status: 'cleanup_failed',
          status_detail: 'vpc still in use',
        });
        const release = await running('kgi-f6', 'release', 'releasing');
        await store.finishOperation(release, {
          status: 'failed',
          failedStep: 'verify-teardown',
          error: 'a server tagged kgi-f6 remains',
        });
        expect(await op(release.id)).toMatchObject({
          status: 'failed',
          failed_step: 'verify-teardown',
        });
        expect(await instance('kgi-f6')).toMatchObject({
          status: 'cleanup_failed',
          status_detail: 'a server tagged kgi-f6 remains',
        });
      });

      it('another failure keeps the status and says what failed', async () => {
        const renew = await running('kgi-f7', 'renew', 'ready');
        await store.finishOperation(renew, {
          status: 'failed',
          failedStep: 'push-license',
          error: 'ssh refused',
        });
        expect(await instance('kgi-f7')).toMatchObject({
          status: 'ready',
          status_detail: 'renew failed: ssh refused',
        });
      });

      it("a release recorded meanwhile is not overwritten by another operation's end; its own success releases", async () => {
        const deploy = await running('kgi-f8', 'deploy', 'pending');
        await store.updateInstance('kgi-f8', { status: 'releasing', status_detail: null });
        const releasing = await instance('kgi-f8');
        later();
        await store.finishOperation(deploy, { status: 'succeeded' }, { status: 'ready' });
        expect(await instance('kgi-f8')).toEqual(releasing);
        expect((await op(deploy.id)).status).toBe('succeeded');
        await t.seed.operation({ id: 'op-kgi-f8-redeploy', kind: 'deploy', instance_id: 'kgi-f8' });
        const redeploy = (await store.beginOperation('op-kgi-f8-redeploy'))!;
        await store.finishOperation(redeploy, {
          status: 'cancelled',
          failedStep: 'install',
          error: 'cancelled',
        });
        expect(await instance('kgi-f8')).toEqual(releasing);
        expect((await op(redeploy.id)).status).toBe('cancelled');

        await t.seed.operation({ id: 'op-kgi-f8-release', kind: 'release', instance_id: 'kgi-f8' });
        const release = (await store.beginOperation('op-kgi-f8-release'))!;
        const at = later();
        // A flow's patch replayed from its checkpoint carries dates as ISO text.
        await store.finishOperation(
          release,
          { status: 'succeeded' },
          { status: 'released', released_at: at.toISOString() },
        );
        expect(await instance('kgi-f8')).toMatchObject({
          status: 'released',
          released_at: at,
          updated_at: at,
        });
        // Once released, a late failure of anything else changes nothing either.
        const released = await instance('kgi-f8');
        await t.seed.operation({ id: 'op-kgi-f8-renew', kind: 'renew', instance_id: 'kgi-f8' });
        const renew = (await store.beginOperation('op-kgi-f8-renew'))!;
        later();
        await store.finishOperation(renew, { status: 'failed', error: 'gone' });
        expect(await instance('kgi-f8')).toEqual(released);
      });

      it('an order-level operation (order:<id>) ends without touching any instance', async () => {
        await t.seed.instance({ id: 'kgi-f9', status: 'ready', order_id: 'CS-F9' });
        const before = await instance('kgi-f9');
        await t.seed.operation({ id: 'op-f9-a', kind: 'sync', order_id: 'CS-F9' });
        await t.seed.operation({ id: 'op-f9-b', kind: 'sync', order_id: 'CS-F9' });
        const a = (await store.beginOperation('op-f9-a'))!;
        const b = (await store.beginOperation('op-f9-b'))!;
        expect(a.instanceId).toBe('order:CS-F9');
        later();
        await store.finishOperation(a, { status: 'succeeded' }, { status: 'failed' });
        await store.finishOperation(b, { status: 'cleanup_failed', error: 'unknown order' });
        expect((await op('op-f9-a')).status).toBe('succeeded');
        expect((await op('op-f9-b')).status).toBe('cleanup_failed');
        expect(await instance('kgi-f9')).toEqual(before);
      });
    });

    describe('operator inputs', () => {
      it('cancelRequested says whether a stop was asked for', async () => {
        await t.seed.instance({ id: 'kgi-c1', status: 'deploying' });
        await t.seed.operation({ id: 'op-c1-a', kind: 'deploy', instance_id: 'kgi-c1' });
        await t.seed.operation({
          id: 'op-c1-b',
          kind: 'deploy',
          instance_id: 'kgi-c1',
          cancel_requested_at: clock.now(),
        });
        expect(await store.cancelRequested('op-c1-a')).toBe(false);
        expect(await store.cancelRequested('op-c1-b')).toBe(true);
        expect(await store.cancelRequested('op-none')).toBe(false);
      });

      it('operationInputs reads the overrides and reruns as they are now, not as at begin', async () => {
        await running('kgi-c2', 'deploy', 'failed', {
          overrides: { flavor: 's6.large.2', sshPort: 2222 },
          reruns: 1,
        });
        expect(await store.operationInputs('op-kgi-c2-deploy')).toEqual({
          overrides: { flavor: 's6.large.2', sshPort: 2222 },
          reruns: 1,
        });
        await t.amendOperation('op-kgi-c2-deploy', {
          overrides: { flavor: 's6.large.2', sshPort: 2222, az: 'cn-north-4b' },
          reruns: 2,
        });
        expect(await store.operationInputs('op-kgi-c2-deploy')).toEqual({
          overrides: { flavor: 's6.large.2', sshPort: 2222, az: 'cn-north-4b' },
          reruns: 2,
        });
        expect(await store.operationInputs('op-none')).toEqual({ overrides: {}, reruns: 0 });
      });
    });

    describe('recordFollowUp', () => {
      /** An order change's sync operation for an instance, begun. */
      async function sync(id: string, instanceId: string, orderId: string) {
        await t.seed.operation({
          id,
          kind: 'sync',
          instance_id: instanceId,
          order_id: orderId,
          order_line_id: `${orderId}-000001`,
        });
        return (await store.beginOperation(id))!;
      }

      it('records a renewal once: its expiry at once, a freeze lifted', async () => {
        await t.seed.instance({
          id: 'kgi-r1',
          status: 'frozen',
          frozen: true,
          expires_at: new Date('2026-11-20T15:59:59.000Z'),
        });
        const change = await sync('op-r1-sync', 'kgi-r1', 'CS-R1');
        const next = {
          kind: 'renew' as const,
          params: { scene: 'RENEWAL', expireTime: '2026-12-20T15:59:59.000Z' },
        };
        const id = await store.recordFollowUp(change, next);
        expect(id).toEqual(expect.any(String));
        expect(await store.recordFollowUp(change, next)).toBeNull();
        // The same order change read by another sync (a resent notification) is the same renewal.
        expect(
          await store.recordFollowUp(await sync('op-r1-sync2', 'kgi-r1', 'CS-R1'), next),
        ).toBeNull();
        expect(await instance('kgi-r1')).toMatchObject({
          frozen: false,
          expires_at: new Date('2026-12-20T15:59:59.000Z'),
        });
        expect(await store.beginOperation(id!)).toMatchObject({
          kind: 'renew',
          instanceId: 'kgi-r1',
          orderId: 'CS-R1',
          orderLineId: 'CS-R1-000001',
          params: { scene: 'RENEWAL', expireTime: '2026-12-20T15:59:59.000Z' },
          test: false,
          attempt: 1,
        });
      });

      it('records an upgrade once', async () => {
        await t.seed.instance({ id: 'kgi-r2', status: 'ready', sku_code: 'basic' });
        const change = await sync('op-r2-sync', 'kgi-r2', 'CS-R2');
        const next = {
          kind: 'upgrade' as const,
          params: { productId: 'OFFI-DEMO', skuCode: 'large' },
        };
        const id = await store.recordFollowUp(change, next);
        expect(id).toEqual(expect.any(String));
        expect(await store.recordFollowUp(change, next)).toBeNull();
        expect(await store.beginOperation(id!)).toMatchObject({
          kind: 'upgrade',
          instanceId: 'kgi-r2',
          orderId: 'CS-R2',
          params: { productId: 'OFFI-DEMO', skuCode: 'large' },
        });
        expect((await instance('kgi-r2')).status).toBe('ready');
      });

      it('records a release once: the instance releasing, its open operations asked to stop', async () => {
        await t.seed.instance({ id: 'kgi-r3', status: 'ready' });
        await t.seed.instance({ id: 'kgi-r3-other', status: 'deploying' });
        await t.seed.operation({ id: 'op-r3-renew', kind: 'renew', instance_id: 'kgi-r3' });
        await t.seed.operation({ id: 'op-r3-upgrade', kind: 'upgrade', instance_id: 'kgi-r3' });
        await store.beginOperation('op-r3-upgrade');
        await t.seed.operation({
          id: 'op-r3-done',
          kind: 'deploy',
          instance_id: 'kgi-r3',
          status: 'succeeded',
        });
        await t.seed.operation({ id: 'op-r3-else', kind: 'deploy', instance_id: 'kgi-r3-other' });
        const change = await sync('op-r3-sync', 'kgi-r3', 'CS-R3');
        const at = later();

        const id = await store.recordFollowUp(change, { kind: 'release', params: {} });
        expect(id).toEqual(expect.any(String));
        expect(await instance('kgi-r3')).toMatchObject({ status: 'releasing', updated_at: at });
        expect(await store.cancelRequested('op-r3-renew')).toBe(true);
        expect(await store.cancelRequested('op-r3-upgrade')).toBe(true);
        expect(await store.cancelRequested('op-r3-done')).toBe(false);
        expect(await store.cancelRequested('op-r3-else')).toBe(false);
        expect(await store.cancelRequested(id!)).toBe(false);
        expect((await instance('kgi-r3-other')).status).toBe('deploying');

        expect(await store.recordFollowUp(change, { kind: 'release', params: {} })).toBeNull();
        // Nothing else is recorded for an instance on its way out.
        const late = await sync('op-r3-sync2', 'kgi-r3', 'CS-R3B');
        expect(
          await store.recordFollowUp(late, {
            kind: 'renew',
            params: { scene: 'RENEWAL', expireTime: '2027-12-20T15:59:59.000Z' },
          }),
        ).toBeNull();
        expect(
          await store.recordFollowUp(late, {
            kind: 'upgrade',
            params: { productId: 'OFFI-DEMO', skuCode: 'large' },
          }),
        ).toBeNull();
        expect(await store.beginOperation(id!)).toMatchObject({
          kind: 'release',
          instanceId: 'kgi-r3',
          orderId: 'CS-R3',
          orderLineId: 'CS-R3-000001',
        });
      });
    });
  });
}
