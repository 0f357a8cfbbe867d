import { describe, expect, it } from 'vitest';
import { createFlowHarness, type FlowHarness } from '../../../test/support/flow-harness.js';
import { CloudCapacityExhausted } from '../../cloud/errors.js';
import { tagKeys } from '../../cloud/tags.js';

const image = { product_id: 'OFFI-DEMO-IMAGE', sku_code: 'standard' };
const allLicenseChoices = ['a', 'b', 'c'].flatMap((az) =>
  ['s6.small.1', 's6.medium.2'].map((flavor) => ({ flavor, az: `cn-north-4${az}` })),
);

/** Commands run on a machine that invoke one of the package's or image's scripts. */
const scriptsRun = (h: FlowHarness, host: string) =>
  h.remote
    .machine(host)
    .commands.map((c) => /(scripts\/\w+\.sh|firstboot\.sh)$/.exec(c.command)?.[1])
    .filter(Boolean);

describe('deploy flow', () => {
  it('goes from a purchase to a licensed, running, health-checked instance', async () => {
    const h = createFlowHarness();
    const { instanceId, operationId } = h.purchase();
    const outcome = await h.run(operationId);
    expect(outcome).toEqual({ status: 'succeeded' });
    const inst = h.instance(instanceId);
    expect(inst.status).toBe('ready');
    expect(h.op(operationId).status).toBe('succeeded');
    const inv = h.cloud.inventory();
    expect(inv.servers).toHaveLength(1);
    expect(inv.vpcs).toHaveLength(1);
    expect(inv.securityGroups).toHaveLength(1);
    expect(inst.eip).toBe(inv.servers[0]!.floatingIps[0]);
    expect(inst.front_end_url).toBe(`http://${inst.eip}:8080/`);
    expect(h.licenses.issued).toHaveLength(1);
    const vm = h.remote.machine(inst.eip!);
    expect(vm.files.get('/opt/demo-license/license/license.key')!.content.toString()).toContain(
      h.licenses.issued[0]!.text,
    );
    expect(scriptsRun(h, inst.eip!)).toEqual([
      'scripts/install.sh',
      'scripts/start.sh',
      'scripts/poststart.sh',
    ]);
  });

  it('deploys an image product: the private image, the license, first boot, no package', async () => {
    const h = createFlowHarness();
    const { instanceId, operationId } = h.purchase(image);
    expect(await h.run(operationId)).toEqual({ status: 'succeeded' });

    const inst = h.instance(instanceId);
    expect(inst).toMatchObject({ status: 'ready', product_name: 'demo-image' });
    const [server, ...others] = h.cloud.inventory().servers;
    expect(others).toEqual([]);
    expect(server).toMatchObject({
      imageId: 'img-kgd-demo-image-cn-north-4',
      flavor: 's6.medium.2',
      tags: { [tagKeys.instance]: instanceId },
    });
    expect(inst.front_end_url).toBe(`http://${inst.eip}:8081/`);
    expect(h.health.asked).toEqual([`http://${inst.eip}:8081/healthz`]);

    const vm = h.remote.machine(inst.eip!);
    expect(vm.uploads.map((u) => u.remotePath)).toEqual([
      '/opt/demo-image/license/license.key',
      '/opt/demo-image/license/license.pub',
      '/opt/demo-image/.kgd/env',
    ]);
    expect(vm.files.get('/opt/demo-image/license/license.key')!.content.toString()).toBe(
      `${h.licenses.issued[0]!.text}\n`,
    );
    expect(scriptsRun(h, inst.eip!)).toEqual(['firstboot.sh']);
    expect(h.licenses.issued).toHaveLength(1);
  });

  it("installs onto the buyer's server named in a V2 order, creating no server", async () => {
    const h = createFlowHarness();
    const buyer = h.remote.addMachine({ host: '203.0.113.7', password: 'buyer-secret' });
    const { instanceId, operationId } = h.purchase(
      { protocol: 'v2', order_id: 'CS-EXISTING-1', product_id: null, sku_code: null },
      { params: { thin: true } },
    );
    h.orders.orders.set('CS-EXISTING-1', {
      orderId: 'CS-EXISTING-1',
      orderType: 'NEW',
      buyerInfo: { customerId: 'cust-9', customerName: 'Buyer With A Server' },
      extendParams: [
        { name: 'serverIp', value: '203.0.113.7' },
        { name: 'serverPassword', value: 'buyer-secret' },
      ],
      orderLine: [
        {
          orderLineId: 'CS-EXISTING-1-000001',
          productInfo: [{ productId: 'OFFI-DEMO-LICENSE-YEAR', skuCode: 'pro' }],
        },
      ],
    });

    expect(await h.run(operationId)).toEqual({ status: 'succeeded' });
    const inst = h.instance(instanceId);
    expect(inst).toMatchObject({
      status: 'ready',
      eip: '203.0.113.7',
      sku_code: 'pro',
      customer_name: 'Buyer With A Server',
      front_end_url: 'http://203.0.113.7:8080/',
    });
    expect(h.cloud.callsOf('createServer')).toEqual([]);
    expect(h.cloud.inventory().servers).toEqual([]);
    expect(scriptsRun(h, '203.0.113.7')).toEqual([
      'scripts/install.sh',
      'scripts/start.sh',
      'scripts/poststart.sh',
    ]);
    expect(buyer.uploads.map((u) => u.remotePath)).toContain(
      '/opt/demo-license/license/license.key',
    );
    expect(h.licenses.issued.map((l) => l.document.boundTo)).toEqual([{ serverId: '203.0.113.7' }]);
    // The buyer's password opened the session and never reached the journal.
    expect(h.journal.lines().join('\n')).not.toContain('buyer-secret');
  });

  it('skips a seller-console test order: ready, nothing created, nothing issued', async () => {
    const h = createFlowHarness();
    const { instanceId, operationId } = h.purchase({ test: true });
    expect(await h.run(operationId)).toEqual({ status: 'succeeded' });

    const inst = h.instance(instanceId);
    expect(inst.status).toBe('ready');
    expect(inst.status_detail).toMatch(/^seller-console test order: .*testDeploy: real/);
    expect(inst).toMatchObject({ front_end_url: null, admin_url: null, eip: null });
    expect(inst.memo).toBe('Test order: no resources were created.');
    expect(h.cloud.calls).toEqual([]);
    expect(h.licenses.issued).toEqual([]);
    expect(h.journal.entries.map((e) => e.step)).not.toContain('create-server');
  });

  it('deploys a test order when the product asks for it', async () => {
    const h = createFlowHarness({
      products: (ps) =>
        ps.map((p) => ({ ...p, marketplace: { ...p.marketplace, testDeploy: 'real' as const } })),
    });
    const { instanceId, operationId } = h.purchase({ test: true });
    expect(await h.run(operationId)).toEqual({ status: 'succeeded' });
    expect(h.instance(instanceId).status_detail).toBeNull();
    expect(h.cloud.inventory().servers).toHaveLength(1);
    expect(h.licenses.issued.map((l) => l.document.test)).toEqual([true]);
  });

  it('a thin test order whose order cannot be read, or names a mock product, is ready with nothing created', async () => {
    const h = createFlowHarness();
    // MOCKONETIMENEW is not in the order API (the fake refuses it); the mock product has no template.
    const mock = { test: true, order_id: 'MOCKONETIMENEW', product_id: null, sku_code: null };
    const unread = h.purchase(mock, { params: { thin: true } });
    expect(await h.run(unread.operationId)).toEqual({ status: 'succeeded' });
    const known = h.purchase({ ...mock, product_id: 'OFFI-MOCK', sku_code: 'mock-sku' });
    expect(await h.run(known.operationId)).toEqual({ status: 'succeeded' });
    for (const id of [unread.instanceId, known.instanceId]) {
      expect(h.instance(id)).toMatchObject({ status: 'ready', product_name: null, eip: null });
      expect(h.instance(id).status_detail).toMatch(/which no template serves/);
    }
    expect(h.orders.queried).toEqual(['MOCKONETIMENEW']);
    expect(h.cloud.calls).toEqual([]);

    // Its lifecycle operations update the record only, whatever product they name.
    for (const kind of ['renew', 'expire', 'unfreeze', 'upgrade', 'release'] as const) {
      const op = h.operation(known.instanceId, {
        kind,
        params: kind === 'renew' ? { scene: 'RENEWAL', expireTime: null } : {},
      });
      expect([kind, await h.run(op)]).toEqual([kind, { status: 'succeeded' }]);
    }
    expect(h.instance(known.instanceId).status).toBe('released');
    expect(h.cloud.inventory().servers).toHaveLength(0);
  });

  it('a real order for a product no template serves still fails at plan', async () => {
    const h = createFlowHarness();
    const { operationId } = h.purchase({ product_id: 'OFFI-MOCK', sku_code: 'mock-sku' });
    expect(await h.run(operationId)).toMatchObject({ status: 'failed' });
  });

  it('falls back to the next AZ when a choice is refused in the create answer', async () => {
    const h = createFlowHarness();
    h.cloud.faults.soldOut({ az: 'cn-north-4a', in: 'create' });
    const { instanceId, operationId } = h.purchase();
    expect(await h.run(operationId)).toEqual({ status: 'succeeded' });

    expect(h.cloud.callsOf('createServer').map(([i]) => i)).toMatchObject([
      { flavor: 's6.small.1', az: 'cn-north-4a' },
      { flavor: 's6.small.1', az: 'cn-north-4b' },
    ]);
    const servers = h.cloud.inventory().servers;
    expect(servers.map((s) => [s.flavor, s.az])).toEqual([['s6.small.1', 'cn-north-4b']]);
    expect(h.instance(instanceId)).toMatchObject({ az: 'cn-north-4b', flavor: 's6.small.1' });
    expect(h.journal.lines('wait-server-job')).toEqual([
      expect.stringMatching(/s6\.small\.1 in cn-north-4a unavailable: .*sold out/),
    ]);
  });

  it('skips the other AZs of a flavor the create answer says is abandoned (Ecs.0019)', async () => {
    const h = createFlowHarness();
    h.cloud.faults.failNext(
      'createServer',
      () =>
        new CloudCapacityExhausted(
          'ecs.createServers: flavor unavailable (Ecs.0019: Flavor s6.small.1 is abandoned)',
          {
            code: 'Ecs.0019',
            operation: 'ecs.createServers',
            httpStatus: 400,
            scope: 'flavor',
          },
        ),
    );
    const { instanceId, operationId } = h.purchase();
    expect(await h.run(operationId)).toEqual({ status: 'succeeded' });
    expect(h.cloud.callsOf('createServer').map(([i]) => i)).toMatchObject([
      { flavor: 's6.small.1', az: 'cn-north-4a' },
      { flavor: 's6.medium.2', az: 'cn-north-4a' },
    ]);
    expect(h.instance(instanceId)).toMatchObject({ status: 'ready', flavor: 's6.medium.2' });
    expect(h.journal.lines('wait-server-job')).toEqual([
      expect.stringMatching(/Ecs\.0019.*skipping flavor s6\.small\.1 in every AZ/),
    ]);
  });

  it('falls back to the next flavor when every AZ of the first fails its create job', async () => {
    const h = createFlowHarness();
    h.cloud.faults.soldOut({ flavor: 's6.small.1' });
    const { instanceId, operationId } = h.purchase();
    expect(await h.run(operationId)).toEqual({ status: 'succeeded' });

    expect(h.cloud.callsOf('createServer').map(([i]) => i)).toMatchObject([
      { flavor: 's6.small.1', az: 'cn-north-4a' },
      { flavor: 's6.small.1', az: 'cn-north-4b' },
      { flavor: 's6.small.1', az: 'cn-north-4c' },
      { flavor: 's6.medium.2', az: 'cn-north-4a' },
    ]);
    const inv = h.cloud.inventory();
    expect(inv.jobs.filter((j) => j.type === 'createServer').map((j) => j.status)).toEqual([
      'FAIL',
      'FAIL',
      'FAIL',
      'SUCCESS',
    ]);
    expect(inv.servers.map((s) => s.flavor)).toEqual(['s6.medium.2']);
    expect(inv.eips).toHaveLength(1);
    expect(h.instance(instanceId)).toMatchObject({ status: 'ready', flavor: 's6.medium.2' });
  });

  it('fails naming every refused choice and the remedy when all are sold out', async () => {
    const h = createFlowHarness();
    for (const { flavor, az } of allLicenseChoices)
      h.cloud.faults.soldOut({ flavor, az, in: az === 'cn-north-4b' ? 'create' : 'job' });
    const { instanceId, operationId } = h.purchase();
    const outcome = await h.run(operationId);

    const refused = [
      's6.small.1@cn-north-4a',
      's6.small.1@cn-north-4b',
      's6.small.1@cn-north-4c',
      's6.medium.2@cn-north-4a',
      's6.medium.2@cn-north-4b',
      's6.medium.2@cn-north-4c',
    ];
    expect(outcome).toMatchObject({
      status: 'failed',
      failedStep: 'wait-server-job',
      error: expect.stringContaining(
        `no capacity for any choice (${refused.join(', ')}): add fallbackFlavors or AZs to the product, or rerun with --flavor/--az; the cloud answered: `,
      ),
    });
    expect(h.instance(instanceId)).toMatchObject({ status: 'failed', server_id: null });
    expect(h.cloud.inventory().servers).toEqual([]);
    expect(h.cloud.inventory().eips).toEqual([]);
    expect(h.licenses.issued).toEqual([]);
  });
});
