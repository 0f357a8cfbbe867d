import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngineHarness, type EngineHarness } from '../support/engine-harness.js';

let h: EngineHarness;
beforeAll(async () => {
  h = await createEngineHarness();
});
afterAll(() => h?.close());

const page = async (url: string) => {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, text: await res.text() };
};

const kinds = async (id: string) =>
  (
    await h.database.db
      .selectFrom('operations')
      .select(['kind', 'status'])
      .where('instance_id', '=', id)
      .orderBy('seq')
      .execute()
  ).map((o) => `${o.kind}:${o.status}`);

describe('the whole lifecycle of a License product', () => {
  let id: string;
  let url: string;

  it('deploys', async () => {
    id = await h.buy({ expireTime: '20271231000000' });
    const inst = await h.waitForStatus(id, 'ready');
    url = inst.front_end_url!;
    expect((await page(url)).text).toContain('2027-12-31');
  });

  it('renews: a new license with the new expiry reaches the running app', async () => {
    expect(
      (
        await h.v1({
          activity: 'refreshInstance',
          instanceId: id,
          orderId: 'REN-1',
          expireTime: '20281231000000',
          periodType: 'year',
          periodNumber: '1',
        })
      ).resultCode,
    ).toBe('000000');
    await h.waitForOperations(id);
    expect((await page(url)).text).toContain('2028-12-31');
    const licenses = await h.database.db
      .selectFrom('licenses')
      .select(['id', 'expires_at'])
      .where('instance_id', '=', id)
      .execute();
    expect(licenses).toHaveLength(2);
  });

  it('expires: the service stops, the server and its data stay', async () => {
    expect((await h.v1({ activity: 'expireInstance', instanceId: id })).resultCode).toBe('000000');
    await h.waitForStatus(id, 'frozen');
    await expect(fetch(url, { signal: AbortSignal.timeout(3000) })).rejects.toThrow();
    const servers = h.sim.inspect().servers.filter((s) => s.tags['kgd-instance'] === id);
    expect(servers.map((s) => s.status)).toEqual(['ACTIVE']);
  });

  it('unfreezes: the service starts again', async () => {
    expect(
      (await h.v1({ activity: 'instanceStatus', instanceId: id, instanceStatus: 'NORMAL' }))
        .resultCode,
    ).toBe('000000');
    await h.waitForStatus(id, 'ready');
    await h.waitForOperations(id);
    expect((await page(url)).status).toBe(200);
  });

  it('upgrades: resized to the new sku flavor and re-licensed with its limits', async () => {
    expect(
      (
        await h.v1({
          activity: 'upgrade',
          instanceId: id,
          orderId: 'UPG-1',
          skuCode: 'pro',
          productId: 'OFFI-DEMO-LICENSE-MONTH',
        })
      ).resultCode,
    ).toBe('000000');
    await h.waitForOperations(id);
    const inst = await h.instance(id);
    expect(inst.flavor).toBe('c7.xlarge.2');
    expect(inst.sku_code).toBe('pro');
    expect((await page(url)).text).toContain('100');
  });

  it('releases: everything tagged with the instance is gone and the license revoked', async () => {
    expect(
      (await h.v1({ activity: 'releaseInstance', instanceId: id, orderId: 'X' })).resultCode,
    ).toBe('000000');
    await h.waitForStatus(id, 'released');
    const inv = h.sim.inspect();
    const tagged = [...inv.servers, ...inv.vpcs, ...inv.subnets, ...inv.securityGroups].filter(
      (r) => r.tags?.['kgd-instance'] === id,
    );
    expect(tagged).toEqual([]);
    const revoked = await h.database.db
      .selectFrom('licenses')
      .select('revoked_at')
      .where('instance_id', '=', id)
      .execute();
    expect(revoked.every((l) => l.revoked_at)).toBe(true);
    expect(await kinds(id)).toEqual([
      'deploy:succeeded',
      'renew:succeeded',
      'expire:succeeded',
      'unfreeze:succeeded',
      'upgrade:succeeded',
      'release:succeeded',
    ]);
  });
});

describe('capacity and test orders', () => {
  it('falls back to the next AZ when the first is sold out', async () => {
    h.sim.faults.soldOut({ az: 'cn-north-4a', flavor: 's6.small.1' });
    try {
      const id = await h.buy({});
      const inst = await h.waitForStatus(id, 'ready');
      expect(inst.az).toBe('cn-north-4b');
      const logs = await h.database.db
        .selectFrom('operation_logs')
        .select('message')
        .where('instance_id', '=', id)
        .execute();
      expect(logs.some((l) => l.message.includes('cn-north-4a unavailable'))).toBe(true);
    } finally {
      h.sim.faults.clear();
    }
  });

  it('runs a seller-console test order through the whole path without creating resources', async () => {
    const id = await h.buy({ testFlag: '1' });
    const inst = await h.waitForStatus(id, 'ready');
    expect(inst.status_detail).toContain('test order');
    expect(inst.server_id).toBeNull();
    expect(h.sim.inspect().servers.filter((s) => s.tags['kgd-instance'] === id)).toEqual([]);
  });
});
