import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clientToken } from '../../src/cloud/client-token.js';
import type {
  CloudApi,
  CreateServerInput,
  IngressRuleSpec,
  ResourceTags,
} from '../../src/cloud/cloud-api.js';
import { kgdTags } from '../../src/cloud/tags.js';
import { waitForJob } from '../../src/cloud/wait-for-job.js';
import type { Clock } from '../../src/platform/clock.js';
import { CapacityExhausted, Permanent, Retryable } from '../../src/platform/errors.js';

/** One implementation of the port, ready for a test, and what the suite needs to know of it. */
export interface CloudUnderTest {
  cloud: CloudApi;
  /** What the cloud's jobs run on; waits sleep on it. */
  clock: Clock;
  imageId: string;
  /** Two flavors sold in both AZs. */
  flavors: [string, string];
  azs: [string, string];
  /** From now on, create jobs for this flavor in this AZ fail for lack of capacity. */
  soldOut(spec: { az: string; flavor: string }): void;
  stop(): Promise<void>;
}

const rules: IngressRuleSpec[] = [
  { direction: 'ingress', protocol: 'tcp', ports: '22,80-81', remoteIpPrefix: '0.0.0.0/0' },
];

/**
 * The `CloudApi` contract (cloud-api.ts), run against every implementation: the in-memory fake
 * and `fromHuaweiSdk` over the simulator. A fake that passes behaves, for its callers, as the
 * adapter does.
 *
 * @example
 *   describeCloudApiContract('fake', async () => { const clock = ...; return { cloud: createFakeCloud({ clock }), clock, ... } });
 */
export function describeCloudApiContract(name: string, makeCloud: () => Promise<CloudUnderTest>) {
  describe(`CloudApi contract: ${name}`, () => {
    let t: CloudUnderTest;
    let cloud: CloudApi;
    beforeEach(async () => {
      t = await makeCloud();
      cloud = t.cloud;
    });
    afterEach(() => t.stop());

    const wait = (jobId: string) =>
      waitForJob(cloud, jobId, { clock: t.clock, timeoutMs: 30 * 60_000 });

    async function network(instanceId: string, tags: ResourceTags = kgdTags({ instanceId })) {
      const vpc = await cloud.ensureVpc({
        name: `kgd-${instanceId}`,
        cidr: '192.168.0.0/16',
        tags,
      });
      const subnet = await cloud.ensureSubnet({
        vpcId: vpc.id,
        name: `kgd-${instanceId}`,
        cidr: '192.168.1.0/24',
        gatewayIp: '192.168.1.1',
        tags,
      });
      const sg = await cloud.ensureSecurityGroup({ name: `kgd-${instanceId}`, tags, rules });
      return { vpc, subnet, sg, tags };
    }

    function server(
      net: Awaited<ReturnType<typeof network>>,
      instanceId: string,
      over: Partial<CreateServerInput> = {},
    ): CreateServerInput {
      return {
        clientToken: clientToken({ instanceId, operationId: 'op_1', step: 'create-server' }),
        name: `kgd-${instanceId}`,
        imageId: t.imageId,
        flavor: t.flavors[0],
        az: t.azs[0],
        vpcId: net.vpc.id,
        subnetId: net.subnet.id,
        securityGroupIds: [net.sg.id],
        adminPass: 'Kgd-Contract-Pass-1',
        rootVolume: { type: 'SSD', sizeGb: 40 },
        eip: { bandwidthMb: 5 },
        tags: net.tags,
        ...over,
      };
    }

    async function running(instanceId: string) {
      const net = await network(instanceId);
      const job = await wait((await cloud.createServer(server(net, instanceId))).jobId);
      return { net, id: job.serverIds[0]! };
    }

    it('ensure* finds what carries the name and tags, and creates what does not exist', async () => {
      const first = await network('kgi-c1');
      expect(first.vpc).toMatchObject({
        name: 'kgd-kgi-c1',
        status: 'OK',
        owned: true,
        tags: first.tags,
      });
      expect(first.subnet).toMatchObject({ status: 'ACTIVE', owned: true, vpcId: first.vpc.id });
      expect(first.sg).toMatchObject({ name: 'kgd-kgi-c1', tags: first.tags });
      const again = await network('kgi-c1');
      expect([again.vpc.id, again.subnet.id, again.sg.id]).toEqual([
        first.vpc.id,
        first.subnet.id,
        first.sg.id,
      ]);
      const other = await network('kgi-c2');
      expect(other.vpc.id).not.toBe(first.vpc.id);
      expect(other.subnet.id).not.toBe(first.subnet.id);
      expect(other.sg.id).not.toBe(first.sg.id);
    });

    it('findNetworkByTag lists the VPCs, subnets (with their VPC) and groups carrying the tag', async () => {
      const net = await network('kgi-c3');
      await network('kgi-c4');
      const found = await cloud.findNetworkByTag('kgd-instance', 'kgi-c3');
      expect(found.vpcs.map((v) => [v.id, v.owned])).toEqual([[net.vpc.id, true]]);
      expect(found.subnets.map((s) => [s.id, s.vpcId, s.owned])).toEqual([
        [net.subnet.id, net.vpc.id, true],
      ]);
      expect(found.securityGroups.map((g) => g.id)).toEqual([net.sg.id]);
      expect(await cloud.findNetworkByTag('kgd-instance', 'kgi-c')).toEqual({
        vpcs: [],
        subnets: [],
        securityGroups: [],
      });
    });

    it('createServer with the same client token and input answers the same job: one server', async () => {
      const net = await network('kgi-c5');
      const input = server(net, 'kgi-c5');
      const created = await cloud.createServer(input);
      expect(await cloud.createServer(input)).toEqual(created);
      expect(created.serverIds).toHaveLength(1);
      const job = await wait(created.jobId);
      expect(job).toMatchObject({
        id: created.jobId,
        status: 'SUCCESS',
        serverIds: created.serverIds,
      });
      const [id] = created.serverIds;
      expect(await cloud.getServer(id!)).toMatchObject({
        id,
        name: 'kgd-kgi-c5',
        status: 'ACTIVE',
        flavor: t.flavors[0],
        az: t.azs[0],
        imageId: t.imageId,
        securityGroupIds: [net.sg.id],
        tags: net.tags,
      });
      const info = (await cloud.getServer(id!))!;
      expect(info.fixedIps[0]).toMatch(/^192\.168\.1\.\d+$/);
      expect(info.floatingIps).toHaveLength(1);
      expect((await cloud.findServersByTag('kgd-instance', 'kgi-c5')).map((s) => s.id)).toEqual([
        id,
      ]);
    });

    it('the same client token with another input is refused as Permanent', async () => {
      const net = await network('kgi-c6');
      await cloud.createServer(server(net, 'kgi-c6'));
      const err = await cloud
        .createServer(server(net, 'kgi-c6', { name: 'kgd-other' }))
        .catch((e) => e);
      expect(err).toBeInstanceOf(Permanent);
      expect(err).not.toBeInstanceOf(CapacityExhausted);
    });

    it('getServer answers undefined for a server that does not exist, or no longer does', async () => {
      expect(await cloud.getServer('0b9c5a4e-0000-4000-8000-00000000dead')).toBeUndefined();
      const { id } = await running('kgi-c7');
      await wait(
        (await cloud.deleteServers([id], { deletePublicIp: true, deleteVolume: true })).jobId!,
      );
      expect(await cloud.getServer(id)).toBeUndefined();
    });

    it('findServersByTag matches the exact value only', async () => {
      const { id } = await running('kgi-c8');
      expect((await cloud.findServersByTag('kgd-instance', 'kgi-c8')).map((s) => s.id)).toEqual([
        id,
      ]);
      expect(await cloud.findServersByTag('kgd-instance', 'kgi-c')).toEqual([]);
      expect(await cloud.findServersByTag('kgd-order', 'kgi-c8')).toEqual([]);
    });

    it('stop, start and resize run as jobs; a running server is not resized (Ecs.0100)', async () => {
      const { id } = await running('kgi-c9');
      const refused = await cloud.resizeServer(id, t.flavors[1]).catch((e) => e);
      expect(refused).toBeInstanceOf(Permanent);
      expect(refused).toMatchObject({ code: 'Ecs.0100' });
      expect(await cloud.getServer(id)).toMatchObject({ status: 'ACTIVE', flavor: t.flavors[0] });
      await wait((await cloud.stopServers([id])).jobId);
      expect((await cloud.getServer(id))?.status).toBe('SHUTOFF');
      await wait((await cloud.resizeServer(id, t.flavors[1])).jobId);
      expect(await cloud.getServer(id)).toMatchObject({ status: 'SHUTOFF', flavor: t.flavors[1] });
      await wait((await cloud.startServers([id])).jobId);
      expect((await cloud.getServer(id))?.status).toBe('ACTIVE');
    });

    /**
     * A deleted server's port is released seconds to minutes after its job (huawei-cloud.md
     * §5.4): until then its subnet and group answer "in use" (Retryable), as the teardown expects.
     */
    const untilFree = async (del: () => Promise<void>) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await del();
        } catch (err) {
          if (!(err instanceof Retryable) || attempt >= 20) throw err;
          await t.clock.sleep(Math.max(5_000, err.retryAfterMs ?? 0));
        }
      }
    };

    it('deletes are idempotent: servers answer no job once gone, the network nothing', async () => {
      const { net, id } = await running('kgi-d1');
      const deletion = await cloud.deleteServers([id], {
        deletePublicIp: true,
        deleteVolume: true,
      });
      expect(deletion.jobId).toBeDefined();
      expect((await wait(deletion.jobId!)).status).toBe('SUCCESS');
      expect(await cloud.deleteServers([id], { deletePublicIp: true, deleteVolume: true })).toEqual(
        {},
      );
      for (let round = 0; round < 2; round++) {
        await untilFree(() => cloud.deleteSecurityGroup(net.sg.id));
        await untilFree(() => cloud.deleteSubnet(net.vpc.id, net.subnet.id));
        await untilFree(() => cloud.deleteVpc(net.vpc.id));
      }
      expect(await cloud.findNetworkByTag('kgd-instance', 'kgi-d1')).toEqual({
        vpcs: [],
        subnets: [],
        securityGroups: [],
      });
    });

    it('deleteDetachedEip deletes an unbound EIP created before the given time, leaves a bound or newer one', async () => {
      const a = await running('kgi-d3');
      const b = await running('kgi-d4');
      const addressOf = async (id: string) => (await cloud.getServer(id))!.floatingIps[0]!;
      const [first, second] = [await addressOf(a.id), await addressOf(b.id)];
      // Bound: not detached, left alone.
      expect(await cloud.deleteDetachedEip(second, t.clock.now())).toBe(false);
      const before = new Date(t.clock.now().getTime() - 3_600_000);
      const stillOurs = t.clock.now();
      await wait(
        (await cloud.deleteServers([a.id], { deletePublicIp: false, deleteVolume: true })).jobId!,
      );
      // Created after the time given: another EIP's since, not ours.
      expect(await cloud.deleteDetachedEip(first, before)).toBe(false);
      expect(await cloud.deleteDetachedEip(first, stillOurs)).toBe(true);
      // Gone when it resolves: asked again, there is nothing to delete.
      expect(await cloud.deleteDetachedEip(first, stillOurs)).toBe(false);
      expect((await cloud.getServer(b.id))?.floatingIps).toEqual([second]);
    });

    it('a delete of what is still in use is Retryable, and works once the user is gone', async () => {
      const { net, id } = await running('kgi-d2');
      const inUse = [
        await cloud.deleteSecurityGroup(net.sg.id).catch((e) => e),
        await cloud.deleteSubnet(net.vpc.id, net.subnet.id).catch((e) => e),
      ];
      for (const err of inUse) {
        expect(err).toBeInstanceOf(Retryable);
        expect(err).not.toBeInstanceOf(Permanent);
      }
      await wait(
        (await cloud.deleteServers([id], { deletePublicIp: true, deleteVolume: true })).jobId!,
      );
      await untilFree(() => cloud.deleteSecurityGroup(net.sg.id));
      const vpcInUse = await cloud.deleteVpc(net.vpc.id).catch((e) => e);
      expect(vpcInUse).toBeInstanceOf(Retryable);
      await untilFree(() => cloud.deleteSubnet(net.vpc.id, net.subnet.id));
      await untilFree(() => cloud.deleteVpc(net.vpc.id));
    });

    it('a sold-out flavor in an AZ is CapacityExhausted; another AZ still works', async () => {
      const net = await network('kgi-e1');
      t.soldOut({ az: t.azs[0], flavor: t.flavors[0] });
      const err = await cloud
        .createServer(server(net, 'kgi-e1'))
        .then((created) => wait(created.jobId))
        .catch((e) => e);
      expect(err).toBeInstanceOf(CapacityExhausted);
      expect(err).not.toBeInstanceOf(Retryable);
      expect(await cloud.findServersByTag('kgd-instance', 'kgi-e1')).toEqual([]);
      const other = server(net, 'kgi-e1', {
        az: t.azs[1],
        clientToken: clientToken({
          instanceId: 'kgi-e1',
          operationId: 'op_1',
          step: 'create-server-2',
        }),
      });
      expect((await wait((await cloud.createServer(other)).jobId)).status).toBe('SUCCESS');
    });

    it('an unknown flavor is CapacityExhausted for the flavor (Ecs.0029: next flavor); an unknown job is Permanent', async () => {
      const net = await network('kgi-e2');
      const err = await cloud
        .createServer(server(net, 'kgi-e2', { flavor: 'x9.huge.64' }))
        .catch((e) => e);
      expect(err).toBeInstanceOf(CapacityExhausted);
      expect(err).toMatchObject({ code: 'Ecs.0029', scope: 'flavor' });
      expect(err).not.toBeInstanceOf(Retryable);
      expect(await cloud.findServersByTag('kgd-instance', 'kgi-e2')).toEqual([]);
      const job = await cloud.getJob('0123456789abcdef0123456789abcdef').catch((e) => e);
      expect(job).toBeInstanceOf(Permanent);
    });

    it('bad input is Permanent before anything is created', async () => {
      const vpc = await cloud
        .ensureVpc({ name: 'bad name!', cidr: '192.168.0.0/16', tags: {} })
        .catch((e) => e);
      expect(vpc).toBeInstanceOf(Permanent);
      const net = await network('kgi-e3');
      const token = await cloud
        .createServer(server(net, 'kgi-e3', { clientToken: 'not-a-uuid' }))
        .catch((e) => e);
      expect(token).toBeInstanceOf(Permanent);
      expect(await cloud.findServersByTag('kgd-instance', 'kgi-e3')).toEqual([]);
    });
  });
}
