import { afterEach, describe, expect, it } from 'vitest';
import {
  type CloudFixture,
  defaultImageId,
  startCloudFixture,
} from '../../test/support/cloud-sim.js';
import { simClient } from '../../test/support/sim-cloud-client.js';
import { Permanent, Retryable } from '../platform/errors.js';
import { clientToken } from './client-token.js';
import type { CreateServerInput } from './cloud-api.js';
import { kgdTags, validateTags } from './tags.js';
import { waitForJob } from './wait-for-job.js';

/**
 * Region data, asynchronous deletes' transient answers and the rules checked before calling, all
 * through the official SDK over HTTP against the simulator (huawei-cloud.md §5.2-§5.4, §5.7).
 */
let f: CloudFixture;
const tags = kgdTags({ instanceId: 'kgi-r1', orderId: 'CS0003' });
afterEach(() => f?.stop());

const calls = (api: string) => f.sim.inspect().stats[api]?.calls ?? 0;

async function network(dns?: { primary: string; secondary?: string }) {
  const vpc = await f.cloud.ensureVpc({ name: 'kgd-kgi-r1', cidr: '192.168.0.0/16', tags });
  const subnet = await f.cloud.ensureSubnet({
    vpcId: vpc.id,
    name: 'kgd-kgi-r1',
    cidr: '192.168.0.0/28',
    gatewayIp: '192.168.0.1',
    tags,
    ...(dns ? { dns } : {}),
  });
  return { vpc, subnet };
}

const server = (
  net: Awaited<ReturnType<typeof network>>,
  over: Partial<CreateServerInput> = {},
): CreateServerInput => ({
  clientToken: clientToken({ instanceId: 'kgi-r1', operationId: 'op_1', step: 'create-server' }),
  name: 'kgd-kgi-r1',
  imageId: defaultImageId,
  flavor: 's6.small.1',
  vpcId: net.vpc.id,
  subnetId: net.subnet.id,
  securityGroupIds: [],
  adminPass: 'Kgd-Test-Pass-01',
  rootVolume: { type: 'SSD', sizeGb: 40 },
  eip: { bandwidthMb: 1 },
  tags,
  ...over,
});

describe('region data', () => {
  it("creates subnets with the region's private DNS, or the template's", async () => {
    f = await startCloudFixture();
    const api = simClient(f.sim);
    const { subnet } = await network();
    const shown = (await api.get(`/v1/{pid}/subnets/${subnet.id}`)).body.subnet;
    expect([shown.primary_dns, shown.secondary_dns]).toEqual(['100.125.1.250', '100.125.129.250']);

    const other = await f.cloud.ensureSubnet({
      vpcId: subnet.vpcId,
      name: 'kgd-kgi-r2',
      cidr: '192.168.1.0/24',
      gatewayIp: '192.168.1.1',
      tags: kgdTags({ instanceId: 'kgi-r2' }),
      dns: { primary: '100.125.1.22' },
    });
    const second = (await api.get(`/v1/{pid}/subnets/${other.id}`)).body.subnet;
    expect(second.dnsList).toEqual(['100.125.1.22']);
  });

  it('a subnet created without DNS has none in the simulator (as in the real cloud)', async () => {
    f = await startCloudFixture();
    const api = simClient(f.sim);
    const { vpc } = await network();
    const bare = await api.post('/v1/{pid}/subnets', {
      subnet: { name: 'bare', cidr: '192.168.9.0/24', gateway_ip: '192.168.9.1', vpc_id: vpc.id },
    });
    expect([bare.body.subnet.primary_dns, bare.body.subnet.dnsList]).toEqual(['', []]);
  });

  it("sends the region's EIP type: 5_sbgp in cn-east-2; a type the region lacks is refused", async () => {
    f = await startCloudFixture({ sim: { region: 'cn-east-2' } });
    const net = await network();
    const job = await waitForJob(f.cloud, (await f.cloud.createServer(server(net))).jobId, {
      clock: f.clock,
      timeoutMs: 1_800_000,
    });
    expect(job.status).toBe('SUCCESS');
    const wrong = await f.cloud
      .createServer(
        server(net, {
          clientToken: clientToken({ instanceId: 'kgi-r1', operationId: 'op_2', step: 'x' }),
          eip: { bandwidthMb: 1, type: '5_bgp' },
        }),
      )
      .catch((e) => e);
    expect(wrong).toBeInstanceOf(Permanent);
    expect(wrong).toMatchObject({ code: 'EIP.7904', httpStatus: 400 });
  });

  it('refuses a region it has no data for unless told, creating nothing', async () => {
    f = await startCloudFixture();
    const cloud = f.adapter({ region: 'xx-test-1' });
    const vpc = await cloud.ensureVpc({ name: 'kgd-kgi-r1', cidr: '192.168.0.0/16', tags });
    const input = {
      vpcId: vpc.id,
      name: 'kgd-kgi-r1',
      cidr: '192.168.0.0/24',
      gatewayIp: '192.168.0.1',
      tags,
    };
    const err = await cloud.ensureSubnet(input).catch((e) => e);
    expect(err).toBeInstanceOf(Permanent);
    expect(err).toMatchObject({ code: 'kgd.region-data' });
    expect(err.message).toMatch(/regions\.xx-test-1\.dns/);
    expect(calls('vpc.createSubnet')).toBe(0);
    const made = await cloud.ensureSubnet({ ...input, dns: { primary: '100.125.1.250' } });
    expect(made.status).toBe('ACTIVE');
  });
});

describe('asynchronous deletes: transient answers', () => {
  it.each([
    ['Ecs.0501', 400, 120_000],
    ['Ecs.0603', 501, 60_000],
  ] as const)(
    'a server delete answered %s (%i) is Retryable after %i ms',
    async (code, status, wait) => {
      f = await startCloudFixture();
      const net = await network();
      const { serverIds } = await f.cloud.createServer(server(net));
      f.sim.faults.inject({
        api: 'ecs.deleteServers',
        fault: { kind: 'busy', answer: code },
        times: 1,
      });
      const err = await f.cloud
        .deleteServers(serverIds, { deletePublicIp: true, deleteVolume: true })
        .catch((e) => e);
      expect(err).toBeInstanceOf(Retryable);
      expect(err).toMatchObject({ code, httpStatus: status, retryAfterMs: wait });
      // Asked once: the teardown waits on its clock, the adapter does not loop for minutes.
      expect(calls('ecs.deleteServers')).toBe(1);
      const again = await f.cloud.deleteServers(serverIds, {
        deletePublicIp: true,
        deleteVolume: true,
      });
      expect(again.jobId).toBeDefined();
    },
  );

  it('a VPC holding a subnet being deleted is Retryable (409 VPC.0104)', async () => {
    f = await startCloudFixture();
    const api = simClient(f.sim);
    const { vpc, subnet } = await network();
    expect((await api.del(`/v1/{pid}/vpcs/${vpc.id}/subnets/${subnet.id}`)).status).toBe(204);
    const err = await f.cloud.deleteVpc(vpc.id).catch((e) => e);
    expect(err).toBeInstanceOf(Retryable);
    expect(err).toMatchObject({ code: 'VPC.0104', httpStatus: 409 });
    // The subnet's delete is under way: a repeated delete (400) waits for it to be gone.
    await f.cloud.deleteSubnet(vpc.id, subnet.id);
    await f.cloud.deleteVpc(vpc.id);
    expect(f.sim.inspect().vpcs).toEqual([]);
  });
});

describe('rules checked before calling, and enforced by the simulator', () => {
  it('CIDRs: VPC ranges and /24, subnets at most /28, reserved gateway addresses', async () => {
    f = await startCloudFixture();
    const api = simClient(f.sim);
    for (const cidr of ['8.8.0.0/16', '10.0.0.0/25', '192.168.0.1/16']) {
      const err = await f.cloud.ensureVpc({ name: 'kgd-x', cidr, tags }).catch((e) => e);
      expect(err).toMatchObject({ code: 'kgd.bad-input' });
    }
    const { vpc } = await network();
    for (const [cidr, gatewayIp, field] of [
      ['192.168.5.0/29', '192.168.5.1', 'cidr'],
      ['192.168.5.0/24', '192.168.5.253', 'gatewayIp'],
      ['192.168.5.0/24', '192.168.5.0', 'gatewayIp'],
    ]) {
      const err = await f.cloud
        .ensureSubnet({ vpcId: vpc.id, name: 'kgd-y', cidr: cidr!, gatewayIp: gatewayIp!, tags })
        .catch((e) => e);
      expect(err.message).toMatch(new RegExp(`ensureSubnet: ${field} `));
    }
    expect(calls('vpc.createSubnet')).toBe(1);
    const raw = await api.post('/v1/{pid}/subnets', {
      subnet: { name: 's', cidr: '192.168.5.0/29', gateway_ip: '192.168.5.1', vpc_id: vpc.id },
    });
    expect([raw.status, raw.body.code]).toEqual([400, 'VPC.0212']);
    const wide = await api.post('/v1/{pid}/vpcs', { vpc: { name: 'w', cidr: '10.0.0.0/25' } });
    expect([wide.status, wide.body.code]).toEqual([400, 'VPC.0101']);
  });

  it('VPC names are unique (VPC.0115); ours is found by its tags, never by its name', async () => {
    f = await startCloudFixture();
    const api = simClient(f.sim);
    await api.post('/v1/{pid}/vpcs', { vpc: { name: 'kgd-kgi-r1', cidr: '10.0.0.0/16' } });
    const err = await f.cloud
      .ensureVpc({ name: 'kgd-kgi-r1', cidr: '192.168.0.0/16', tags })
      .catch((e) => e);
    expect(err).toBeInstanceOf(Permanent);
    expect(err).toMatchObject({ code: 'VPC.0115', httpStatus: 400 });
    expect(err.message).toMatch(/already exists .*without this deployment's tags/);
    // Renamed by someone, ours is still ours.
    const mine = await f.cloud.ensureVpc({
      name: 'kgd-kgi-r9',
      cidr: '192.168.0.0/16',
      tags: kgdTags({ instanceId: 'kgi-r9' }),
    });
    const again = await f.cloud.ensureVpc({
      name: 'renamed',
      cidr: '192.168.0.0/16',
      tags: kgdTags({ instanceId: 'kgi-r9' }),
    });
    expect(again.id).toBe(mine.id);
  });

  it('tags: one format for ECS and VPC in the adapter; each service its own set in the simulator', async () => {
    expect(() => validateTags({ 'a.b': 'x' })).toThrow(/tag key "a.b"/);
    expect(() => validateTags({ k: 'a:b' })).toThrow(/tag k: value "a:b"/);
    expect(() =>
      validateTags(Object.fromEntries([...Array(11).keys()].map((i) => [`k${i}`, '']))),
    ).toThrow(/at most 10/);
    f = await startCloudFixture();
    const api = simClient(f.sim);
    const vpcTag = await api.post('/v1/{pid}/vpcs', {
      vpc: { name: 'v', cidr: '10.0.0.0/16', tags: ['k*a:b'] },
    });
    expect([vpcTag.status, vpcTag.body.code]).toEqual([400, 'VPC.1801']);
    const net = await network();
    const body = (serverTags: Array<{ key: string; value: string }>) => ({
      server: {
        name: 'w',
        imageRef: defaultImageId,
        flavorRef: 's6.small.1',
        vpcid: net.vpc.id,
        nics: [{ subnet_id: net.subnet.id }],
        root_volume: { volumetype: 'SSD' },
        server_tags: serverTags,
      },
    });
    // ECS takes a colon that VPC refuses; it refuses = , / and duplicates with its own codes.
    expect(
      (await api.post('/v1/{pid}/cloudservers', body([{ key: 'k', value: 'a:b' }]))).status,
    ).toBe(200);
    const codes = [];
    for (const t of [
      [{ key: 'k', value: 'a=b' }],
      [{ key: 'k/1', value: '' }],
      [
        { key: 'k', value: '1' },
        { key: 'k', value: '2' },
      ],
      [...Array(11).keys()].map((i) => ({ key: `k${i}`, value: '' })),
    ])
      codes.push((await api.post('/v1/{pid}/cloudservers', body(t))).body.error.code);
    expect(codes).toEqual(['Ecs.0907', 'Ecs.0906', 'Ecs.0908', 'Ecs.0905']);
  });

  it('passwords: the simulator refuses root/toor and other specials with Ecs.0011', async () => {
    f = await startCloudFixture();
    const api = simClient(f.sim);
    const net = await network();
    const create = (adminPass: string) =>
      api.post('/v1/{pid}/cloudservers', {
        server: {
          name: 'w',
          imageRef: defaultImageId,
          flavorRef: 's6.small.1',
          vpcid: net.vpc.id,
          nics: [{ subnet_id: net.subnet.id }],
          root_volume: { volumetype: 'SSD' },
          adminPass,
        },
      });
    for (const pw of ['Toor-Pass-2026', 'My-Root-2026', 'Kgd#Pass~2026']) {
      const r = await create(pw);
      expect([r.status, r.body.error.code]).toEqual([400, 'Ecs.0011']);
    }
    expect((await create('Kgd-Test-Pass-01')).status).toBe(200);
  });
});
