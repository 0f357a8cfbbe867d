import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngineHarness, type EngineHarness } from '../support/engine-harness.js';

/**
 * The service as `kgd serve` composes it, against the simulator over HTTP through the official
 * ECS/VPC SDKs: what the deploy and the upgrade do with the cloud's real answers (huawei-cloud.md
 * §5.1, §5.6). The demo-license product's basic sku is s6.small.1 in cn-north-4a, 4b, 4c, then
 * its fallback s6.medium.2; its pro sku is c7.xlarge.2.
 */
let h: EngineHarness;
beforeAll(async () => {
  h = await createEngineHarness();
});
afterAll(() => h?.close());

const serversOf = (id: string) =>
  h.sim.inspect().servers.filter((s) => s.tags['kgd-instance'] === id);

/** Error answers of one simulated API so far, by code. */
const refusals = (api: string) => ({ ...h.sim.inspect().stats[api]?.refusals });

const logsOf = async (id: string) =>
  (
    await h.database.db
      .selectFrom('operation_logs')
      .select(['step', 'message', 'operation_id'])
      .where('instance_id', '=', id)
      .orderBy('id')
      .execute()
  ).map((l) => ({ ...l, step: l.step ?? '' }));

type SoldOut = Parameters<EngineHarness['sim']['faults']['soldOut']>[0];

/** Buys with the sold-out rule in force; the deployment must end ready, on one server. */
async function deployWith(rule: SoldOut) {
  const before = refusals('ecs.createServers');
  h.sim.faults.soldOut(rule);
  try {
    const id = await h.buy({});
    const inst = await h.waitForStatus(id, 'ready', 120_000);
    const after = refusals('ecs.createServers');
    const refusedNow = Object.fromEntries(
      Object.entries(after)
        .map(([code, n]) => [code, n - (before[code] ?? 0)] as const)
        .filter(([, n]) => n > 0),
    );
    return { id, inst, servers: serversOf(id), refusedNow, logs: await logsOf(id) };
  } finally {
    h.sim.faults.clear();
  }
}

describe('sold out at create, answered in the create call (400)', () => {
  it.each([
    ['Ecs.0018', 'is sold out'],
    ['Ecs.0319', 'Capacity is not enough'],
    ['Ecs.0044', 'has been sold out in AZ [cn-north-4a]'],
  ] as const)(
    '%s in the first AZ: ready in the next AZ on one server, none left in the first',
    async (code, message) => {
      const r = await deployWith({ az: 'cn-north-4a', flavor: 's6.small.1', in: 'create', code });
      expect(r.inst).toMatchObject({ az: 'cn-north-4b', flavor: 's6.small.1' });
      expect(r.servers.map((s) => [s.az, s.flavor, s.status])).toEqual([
        ['cn-north-4b', 's6.small.1', 'ACTIVE'],
      ]);
      expect(r.servers[0]!.id).toBe(r.inst.server_id);
      // Refused once, in the answer: the first AZ never held a server.
      expect(r.refusedNow).toEqual({ [code]: 1 });
      const refused = r.logs.find((l) => l.step === 'create-server' && l.message.includes(code));
      expect(refused?.message).toContain(message);
      expect(r.logs.some((l) => l.message.includes('s6.small.1 in cn-north-4a unavailable'))).toBe(
        true,
      );
    },
    180_000,
  );

  it('Ecs.0019 (flavor abandoned): its other AZs are skipped, ready on the fallback flavor', async () => {
    const r = await deployWith({ flavor: 's6.small.1', in: 'create', code: 'Ecs.0019' });
    expect(r.inst).toMatchObject({ az: 'cn-north-4a', flavor: 's6.medium.2' });
    expect(r.servers.map((s) => [s.az, s.flavor, s.status])).toEqual([
      ['cn-north-4a', 's6.medium.2', 'ACTIVE'],
    ]);
    // Asked once for the abandoned flavor, not once per AZ.
    expect(r.refusedNow).toEqual({ 'Ecs.0019': 1 });
    expect(r.logs.some((l) => l.message.includes('skipping flavor s6.small.1 in every AZ'))).toBe(
      true,
    );
  }, 180_000);
});

describe('sold out in the create job (FAIL)', () => {
  it('the capacity code only on the sub-job, a generic Ecs.0219 on the job, the server left in ERROR: deleted, ready in the next AZ', async () => {
    const r = await deployWith({
      az: 'cn-north-4a',
      flavor: 's6.small.1',
      in: 'job',
      reason: 'sub-job',
      leaveError: true,
    });
    expect(r.inst).toMatchObject({ az: 'cn-north-4b', flavor: 's6.small.1' });
    expect(r.servers.map((s) => [s.az, s.status])).toEqual([['cn-north-4b', 'ACTIVE']]);
    // Accepted, then failed in its job: nothing refused in the answer.
    expect(r.refusedNow).toEqual({});
    const unavailable = r.logs.find((l) =>
      l.message.includes('s6.small.1 in cn-north-4a unavailable'),
    );
    expect(unavailable?.message).toContain('Ecs.0319');
    expect(unavailable?.message).toContain('Ecs.0219');
    // The ERROR server the failed job left is deleted before the next create.
    expect(r.logs.some((l) => /deleting server .*ERROR\) before creating/.test(l.message))).toBe(
      true,
    );
  }, 180_000);

  it('the reason only in the sub-job errorcode_message, the server rolled back: ready in the next AZ', async () => {
    const r = await deployWith({
      az: 'cn-north-4a',
      flavor: 's6.small.1',
      in: 'job',
      reason: 'errorcode_message',
    });
    expect(r.inst).toMatchObject({ az: 'cn-north-4b', flavor: 's6.small.1' });
    expect(r.servers.map((s) => [s.az, s.status])).toEqual([['cn-north-4b', 'ACTIVE']]);
    const unavailable = r.logs.find((l) =>
      l.message.includes('s6.small.1 in cn-north-4a unavailable'),
    );
    expect(unavailable?.message).toContain('Check capacity: Capacity is not enough.');
  }, 180_000);
});

describe('upgrade to a sku of another flavor', () => {
  it('stop, resize (never of a running server), start, health check, ready, with the downtime logged', async () => {
    const id = await h.buy({});
    await h.waitForStatus(id, 'ready', 120_000);
    const resizesBefore = h.sim.inspect().stats['ecs.resize']?.calls ?? 0;
    const refusedBefore = refusals('ecs.resize');
    expect(
      (
        await h.v1({
          activity: 'upgrade',
          instanceId: id,
          orderId: 'UPG-E2E',
          skuCode: 'pro',
          productId: 'OFFI-DEMO-LICENSE-MONTH',
        })
      ).resultCode,
    ).toBe('000000');
    await h.waitForOperations(id, 120_000);
    const inst = await h.instance(id);
    expect(inst).toMatchObject({ status: 'ready', flavor: 'c7.xlarge.2', sku_code: 'pro' });
    const servers = serversOf(id);
    expect(servers.map((s) => [s.id, s.flavor, s.status])).toEqual([
      [inst.server_id, 'c7.xlarge.2', 'ACTIVE'],
    ]);

    // One resize call, and the cloud never had to refuse one (a running server's is 400
    // Ecs.0100: the simulator refuses it as ECS does).
    expect((h.sim.inspect().stats['ecs.resize']?.calls ?? 0) - resizesBefore).toBe(1);
    expect(refusals('ecs.resize')).toEqual(refusedBefore);

    const op = await h.database.db
      .selectFrom('operations')
      .select(['id', 'status'])
      .where('instance_id', '=', id)
      .where('kind', '=', 'upgrade')
      .executeTakeFirstOrThrow();
    expect(op.status).toBe('succeeded');
    const logs = (await logsOf(id)).filter((l) => l.operation_id === op.id);
    const at = (step: string, text: string) =>
      logs.findIndex((l) => l.step === step && l.message.includes(text));
    const stopped = at('stop-server', 'stopped (disk kept)');
    const resized = at('resize-server', 'resized from s6.small.1 to c7.xlarge.2');
    const started = at('start-server', 'started');
    const downtime = at('health-check', 'buyer-visible downtime of the resize');
    expect(stopped).toBeGreaterThanOrEqual(0);
    expect([stopped < resized, resized < started, started < downtime]).toEqual([true, true, true]);
    expect(logs.some((l) => l.step === 'resize-server' && l.message.includes('not stopped'))).toBe(
      false,
    );
    expect(logs[downtime]!.message).toMatch(/downtime of the resize: \d+ s \(down since /);
  }, 240_000);
});

describe('release when the server delete leaves its EIP behind', () => {
  it('the EIP is deleted on its own after the server and awaited: released, nothing left', async () => {
    const id = await h.buy({});
    const inst = await h.waitForStatus(id, 'ready', 120_000);
    h.sim.faults.apply({ eipLeftRate: 1 });
    try {
      expect(
        (await h.v1({ activity: 'releaseInstance', instanceId: id, orderId: 'REL-EIP' }))
          .resultCode,
      ).toBe('000000');
      await h.waitForStatus(id, 'released', 120_000);
    } finally {
      h.sim.faults.clear();
    }
    const inv = h.sim.inspect();
    expect(inv.eips.filter((e) => e.address === inst.eip)).toEqual([]);
    expect(inv.orphans.filter((o) => o.type === 'eip')).toEqual([]);
    expect(inv.stats['vpc.deletePublicip']?.calls).toBeGreaterThanOrEqual(1);
    const logs = await logsOf(id);
    const server = logs.findIndex((l) => l.message.includes('deleting server(s)'));
    const eip = logs.findIndex(
      (l) => l.message === `EIP ${inst.eip} outlived its server: deleted on its own`,
    );
    const network = logs.findIndex((l) => /deleted \d+ security group/.test(l.message));
    expect([server >= 0, server < eip, eip < network]).toEqual([true, true, true]);
  }, 240_000);
});
