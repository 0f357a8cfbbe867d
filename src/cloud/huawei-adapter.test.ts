import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type CloudFixture,
  defaultImageId,
  startCloudFixture,
} from '../../test/support/cloud-sim.js';
import { CapacityExhausted, Permanent, Retryable } from '../platform/errors.js';
import { clientToken } from './client-token.js';
import type { CreateServerInput, ResourceTags } from './cloud-api.js';
import { kgdTags } from './tags.js';
import { waitForJob } from './wait-for-job.js';

/**
 * Every adapter method, through the real SDK and real HTTP, against the simulator at realistic
 * durations on a fake clock.
 */
let f: CloudFixture;
const tags: ResourceTags = kgdTags({ instanceId: 'kgi-a1', orderId: 'CS0001' });
const rules = [
  {
    direction: 'ingress' as const,
    protocol: 'tcp' as const,
    ports: '22,80-81',
    remoteIpPrefix: '0.0.0.0/0',
  },
  {
    direction: 'ingress' as const,
    protocol: 'icmp' as const,
    ports: '',
    remoteIpPrefix: '10.0.0.0/8',
  },
];

async function network() {
  const vpc = await f.cloud.ensureVpc({ name: 'kgd-kgi-a1', cidr: '192.168.0.0/16', tags });
  const subnet = await f.cloud.ensureSubnet({
    vpcId: vpc.id,
    name: 'kgd-kgi-a1',
    cidr: '192.168.1.0/24',
    gatewayIp: '192.168.1.1',
    az: 'cn-north-4a',
    tags,
  });
  const sg = await f.cloud.ensureSecurityGroup({ name: 'kgd-kgi-a1', tags, rules });
  return { vpc, subnet, sg };
}

function serverInput(
  net: Awaited<ReturnType<typeof network>>,
  over: Partial<CreateServerInput> = {},
): CreateServerInput {
  return {
    clientToken: clientToken({ instanceId: 'kgi-a1', operationId: 'op_1', step: 'create-server' }),
    name: 'kgd-kgi-a1',
    imageId: defaultImageId,
    flavor: 's6.medium.2',
    az: 'cn-north-4a',
    vpcId: net.vpc.id,
    subnetId: net.subnet.id,
    securityGroupIds: [net.sg.id],
    adminPass: 'Kgd-Test-Pass-01',
    rootVolume: { type: 'SSD', sizeGb: 40 },
    eip: { bandwidthMb: 5 },
    tags,
    metadata: { product: 'demo' },
    userData: '#!/bin/sh\necho hello > /root/hello\n',
    ...over,
  };
}

const wait = (jobId: string) =>
  waitForJob(f.cloud, jobId, { clock: f.clock, timeoutMs: 30 * 60_000 });

beforeEach(async () => {
  f = await startCloudFixture();
});
afterEach(async () => {
  await f.stop();
});

describe('Huawei adapter against the simulator', () => {
  it('finds or creates the network idempotently, waiting for OK / ACTIVE', async () => {
    const first = await network();
    expect(first.vpc).toMatchObject({ status: 'OK', owned: true, tags });
    expect(first.subnet).toMatchObject({ status: 'ACTIVE', vpcId: first.vpc.id });
    expect(first.sg.api).toBe('v3');
    const again = await network();
    expect(again.vpc.id).toBe(first.vpc.id);
    expect(again.subnet.id).toBe(first.subnet.id);
    expect(again.sg.id).toBe(first.sg.id);
    const inv = f.sim.inspect();
    expect(inv.vpcs).toHaveLength(1);
    expect(inv.subnets).toHaveLength(1);
    expect(inv.securityGroups).toHaveLength(1);
    // 4 default rules + one multiport tcp rule + one icmp rule; the second ensure added none.
    expect(inv.securityGroups[0]!.rules).toBe(6);
    expect(inv.stats['vpc.createVpc']!.calls).toBe(1);
    expect(inv.stats['vpc3.createSecurityGroupRule']!.calls).toBe(2);
    expect(inv.orphans).toEqual([]);
  });

  it('adds only the missing ports when the rules grow', async () => {
    const { sg } = await network();
    await f.cloud.ensureSecurityGroup({
      name: 'kgd-kgi-a1',
      tags,
      rules: [
        {
          direction: 'ingress',
          protocol: 'tcp',
          ports: '22,80-90,443',
          remoteIpPrefix: '0.0.0.0/0',
        },
      ],
    });
    const res = await fetch(`${f.sim.endpoint}/sim/inventory`);
    const inv = (await res.json()) as { securityGroups: Array<{ id: string; rules: number }> };
    expect(inv.securityGroups.find((g) => g.id === sg.id)!.rules).toBe(7);
  });

  it('creates a server once per client token, waits for it, reads and finds it', async () => {
    const net = await network();
    const input = serverInput(net);
    const started = f.clock.now().getTime();
    const created = await f.cloud.createServer(input);
    const replay = await f.cloud.createServer(input);
    expect(replay).toEqual(created);
    expect(created.serverIds).toHaveLength(1);
    const building = await f.cloud.getServer(created.serverIds[0]!);
    expect(building?.status).toBe('BUILD');

    const job = await wait(created.jobId);
    expect(job.status).toBe('SUCCESS');
    expect(job.serverIds).toEqual(created.serverIds);
    const server = await f.cloud.getServer(job.serverIds[0]!);
    expect(server).toMatchObject({
      id: created.serverIds[0],
      name: 'kgd-kgi-a1',
      status: 'ACTIVE',
      flavor: 's6.medium.2',
      az: 'cn-north-4a',
      imageId: defaultImageId,
      securityGroupIds: [net.sg.id],
      tags,
    });
    expect(server!.metadata.product).toBe('demo');
    expect(server!.fixedIps[0]).toMatch(/^192\.168\.1\.\d+$/);
    expect(server!.floatingIps[0]).toMatch(/^127\.20\.\d+\.\d+$/);
    // Realistic durations on the manual clock: tens of seconds, taken in milliseconds.
    expect(f.clock.now().getTime() - started).toBeGreaterThan(30_000);

    const found = await f.cloud.findServersByTag('kgd-instance', 'kgi-a1');
    expect(found.map((s) => s.id)).toEqual(created.serverIds);
    expect(await f.cloud.findServersByTag('kgd-instance', 'kgi-a')).toEqual([]);

    await f.sim.settled();
    const start = f.hosts.callsFor(server!.id)[0];
    expect(start?.op).toBe('start');
    if (start?.op !== 'start') throw new Error('no start');
    expect(start.spec).toMatchObject({
      address: server!.floatingIps[0],
      privateIp: server!.fixedIps[0],
      adminPass: 'Kgd-Test-Pass-01',
      userData: '#!/bin/sh\necho hello > /root/hello\n',
      image: { id: defaultImageId },
    });
    expect(start.spec.bootDelayMs).toBeGreaterThanOrEqual(15_000);
    expect(start.spec.ingress).toEqual(
      expect.arrayContaining([
        { protocol: 'tcp', portMin: 22, portMax: 22, remoteIpPrefix: '0.0.0.0/0' },
        { protocol: 'tcp', portMin: 80, portMax: 81, remoteIpPrefix: '0.0.0.0/0' },
        { protocol: 'icmp', remoteIpPrefix: '10.0.0.0/8' },
      ]),
    );
  });

  it('stops, resizes (stopped) and starts', async () => {
    const net = await network();
    const job = await wait((await f.cloud.createServer(serverInput(net))).jobId);
    const id = job.serverIds[0]!;

    await wait((await f.cloud.stopServers([id])).jobId);
    expect((await f.cloud.getServer(id))?.status).toBe('SHUTOFF');

    const resize = await f.cloud.resizeServer(id, 's6.large.2');
    expect((await f.cloud.getServer(id))?.status).toBe('RESIZE');
    await wait(resize.jobId);
    expect(await f.cloud.getServer(id)).toMatchObject({ status: 'SHUTOFF', flavor: 's6.large.2' });

    await wait((await f.cloud.startServers([id])).jobId);
    expect((await f.cloud.getServer(id))?.status).toBe('ACTIVE');

    await f.sim.settled();
    expect(f.hosts.callsFor(id).map((c) => c.op)).toEqual(['start', 'stop', 'start']);
    expect(f.hosts.describe(id).state).toBe('running');
  });

  it('deletes servers with their EIP and disk, then the network, idempotently', async () => {
    const net = await network();
    const job = await wait((await f.cloud.createServer(serverInput(net))).jobId);
    const id = job.serverIds[0]!;

    const deletion = await f.cloud.deleteServers([id], {
      deletePublicIp: true,
      deleteVolume: true,
    });
    expect(deletion.jobId).toBeDefined();
    await wait(deletion.jobId!);
    expect(await f.cloud.getServer(id)).toBeUndefined();
    expect(await f.cloud.deleteServers([id], { deletePublicIp: true, deleteVolume: true })).toEqual(
      {},
    );

    const tagged = await f.cloud.findNetworkByTag('kgd-instance', 'kgi-a1');
    expect(tagged.vpcs.map((v) => v.id)).toEqual([net.vpc.id]);
    expect(tagged.subnets.map((s) => [s.id, s.vpcId])).toEqual([[net.subnet.id, net.vpc.id]]);
    expect(tagged.securityGroups.map((g) => g.id)).toEqual([net.sg.id]);

    // The port of a deleted server holds its group for a while: in use, Retryable (§5.4).
    const inUse = await f.cloud.deleteSecurityGroup(net.sg.id).catch((e) => e);
    expect(inUse).toBeInstanceOf(Retryable);
    expect(inUse).toMatchObject({ code: 'VPC.9902', httpStatus: 409 });
    await f.sleep(45_000);
    await f.cloud.deleteSecurityGroup(net.sg.id);
    await f.cloud.deleteSubnet(net.vpc.id, net.subnet.id);
    await f.cloud.deleteVpc(net.vpc.id);
    // Absent is fine.
    await f.cloud.deleteSecurityGroup(net.sg.id);
    await f.cloud.deleteSubnet(net.vpc.id, net.subnet.id);
    await f.cloud.deleteVpc(net.vpc.id);

    const inv = f.sim.inspect();
    expect([inv.servers, inv.vpcs, inv.subnets, inv.securityGroups, inv.eips, inv.volumes]).toEqual(
      [[], [], [], [], [], []],
    );
    await f.sim.settled();
    expect(f.hosts.callsFor(id).at(-1)?.op).toBe('destroy');
  });

  it('leaves the EIP and disk behind when asked, and the inspection shows them as orphans', async () => {
    const net = await network();
    const job = await wait((await f.cloud.createServer(serverInput(net))).jobId);
    await wait(
      (await f.cloud.deleteServers(job.serverIds, { deletePublicIp: false, deleteVolume: false }))
        .jobId!,
    );
    const inv = f.sim.inspect(['kgi-a1']);
    expect(inv.orphans.map((o) => [o.type, o.reason]).sort()).toEqual([
      ['eip', 'detached'],
      ['volume', 'detached'],
    ]);
    expect(f.sim.inspect([]).orphans.filter((o) => o.reason === 'instance-not-live')).toHaveLength(
      3,
    );
  });

  it('falls back to VPC v2 security groups where v3 answers 404, tagging them in a second call', async () => {
    f.sim.faults.setV3Available(false);
    const { sg } = await network();
    expect(sg.api).toBe('v2');
    expect(f.cloud.securityGroupApi()).toBe('v2');
    const again = await f.cloud.ensureSecurityGroup({ name: 'kgd-kgi-a1', tags, rules });
    expect(again.id).toBe(sg.id);
    const inv = f.sim.inspect();
    expect(inv.securityGroups[0]).toMatchObject({ createdVia: 'v2', tags, rules: 4 + 2 + 1 });
    expect(inv.stats['vpc.batchSecurityGroupTags']!.calls).toBe(1);
    await f.cloud.deleteSecurityGroup(sg.id);
    expect(f.sim.inspect().securityGroups).toEqual([]);
  });

  it('adopts a v2 group whose tagging failed, in the same call or the next one', async () => {
    f.sim.faults.setV3Available(false);
    const failing = (n: number) =>
      Array.from({ length: n }, () => ({ kind: 'server-error' as const, status: 503 as const }));
    // Tagging fails through all the caller's retries: the lookup finds the group by name and tags it.
    f.sim.faults.script('vpc.batchSecurityGroupTags', failing(6));
    const sg = await f.cloud.ensureSecurityGroup({ name: 'kgd-kgi-a1', tags, rules });
    let inv = f.sim.inspect();
    expect(inv.securityGroups.map((g) => g.id)).toEqual([sg.id]);
    expect(inv.stats['vpc.createSecurityGroup']!.calls).toBe(1);
    expect(inv.orphans).toEqual([]);

    // Longer outage (a crash, in effect): the call fails, leaving an untagged group...
    f.sim.faults.script('vpc.batchSecurityGroupTags', failing(12));
    await expect(
      f.cloud.ensureSecurityGroup({
        name: 'kgd-kgi-a2',
        tags: kgdTags({ instanceId: 'kgi-a2' }),
        rules,
      }),
    ).rejects.toBeInstanceOf(Retryable);
    expect(f.sim.inspect().orphans.map((o) => [o.type, o.reason, o.name])).toEqual([
      ['securityGroup', 'untagged', 'kgd-kgi-a2'],
    ]);
    // ...which the retried step adopts instead of creating a second one.
    const adopted = await f.cloud.ensureSecurityGroup({
      name: 'kgd-kgi-a2',
      tags: kgdTags({ instanceId: 'kgi-a2' }),
      rules,
    });
    inv = f.sim.inspect();
    expect(inv.securityGroups.map((g) => g.id).sort()).toEqual([sg.id, adopted.id].sort());
    expect(inv.orphans).toEqual([]);
  });
});

describe('shared network', () => {
  it('uses the configured VPC and subnet, and never deletes them', async () => {
    const vpc = await f.cloud.ensureVpc({ name: 'shared', cidr: '10.0.0.0/16', tags: {} });
    const subnet = await f.cloud.ensureSubnet({
      vpcId: vpc.id,
      name: 'shared',
      cidr: '10.0.1.0/24',
      gatewayIp: '10.0.1.1',
      tags: {},
    });
    const withShared = (sharedNetwork: { vpcId: string; subnetId: string }) =>
      f.adapter({ sharedNetwork });
    const shared = withShared({ vpcId: vpc.id, subnetId: subnet.id });
    expect(
      await shared.ensureVpc({ name: 'kgd-kgi-b', cidr: '192.168.0.0/16', tags }),
    ).toMatchObject({ id: vpc.id, owned: false });
    expect(
      await shared.ensureSubnet({
        vpcId: 'ignored',
        name: 'x',
        cidr: '192.168.0.0/24',
        gatewayIp: '192.168.0.1',
        tags,
      }),
    ).toMatchObject({
      id: subnet.id,
      vpcId: vpc.id,
      owned: false,
    });
    await shared.deleteSubnet(vpc.id, subnet.id);
    await shared.deleteVpc(vpc.id);
    expect(f.sim.inspect().vpcs.map((v) => v.id)).toEqual([vpc.id]);
    expect(f.sim.inspect().subnets.map((s) => s.id)).toEqual([subnet.id]);
    const broken = withShared({ vpcId: 'nope', subnetId: 'nope' });
    await expect(broken.ensureVpc({ name: 'x', cidr: '192.168.0.0/16', tags })).rejects.toThrow(
      /cloud\.sharedNetwork/,
    );
  });
});

describe('bad input', () => {
  it('names the field before calling the cloud', async () => {
    const net = await network();
    const calls = () => f.sim.inspect().stats['ecs.createServers']?.calls ?? 0;
    await expect(
      f.cloud.createServer(serverInput(net, { clientToken: 'not-a-uuid' })),
    ).rejects.toThrow(/clientToken/);
    await expect(f.cloud.createServer(serverInput(net, { name: 'bad name!' }))).rejects.toThrow(
      /name/,
    );
    await expect(f.cloud.createServer(serverInput(net, { adminPass: undefined }))).rejects.toThrow(
      /adminPass/,
    );
    await expect(
      f.cloud.createServer(serverInput(net, { rootVolume: { type: 'SSD', sizeGb: 0 } })),
    ).rejects.toThrow(/rootVolume\.sizeGb/);
    await expect(f.cloud.ensureVpc({ name: 'v', cidr: '192.168.0.0', tags })).rejects.toThrow(
      /cidr/,
    );
    await expect(
      f.cloud.ensureSecurityGroup({
        name: 'g',
        tags,
        rules: [
          { direction: 'ingress', protocol: 'tcp', ports: '22,99999', remoteIpPrefix: '0.0.0.0/0' },
        ],
      }),
    ).rejects.toThrow(/rules\[0\]\.ports/);
    expect(calls()).toBe(0);
  });

  it('surfaces the cloud refusing parameters as permanent, naming the parameter', async () => {
    const net = await network();
    const err = await f.cloud
      .createServer(serverInput(net, { imageId: 'no-such-image' }))
      .catch((e) => e);
    expect(err).toBeInstanceOf(Permanent);
    expect(err).not.toBeInstanceOf(CapacityExhausted);
    expect(err).toMatchObject({ code: 'Ecs.0005', httpStatus: 400 });
    expect(err.message).toMatch(/image \[no-such-image\] not found/);
    const weak = await f.cloud
      .createServer(serverInput(net, { adminPass: 'password' }))
      .catch((e) => e);
    // Refused before calling, naming the rule (never the password).
    expect(weak).toBeInstanceOf(Permanent);
    expect(weak).toMatchObject({ code: 'kgd.bad-input' });
    expect(weak.message).toMatch(/adminPass needs three of/);
    expect(weak.message).not.toContain('password"');
    const rooted = await f.cloud
      .createServer(serverInput(net, { adminPass: 'Toor-Pass-2026' }))
      .catch((e) => e);
    expect(rooted.message).toMatch(/must not contain the user name root or its reverse/);
    const odd = await f.cloud
      .createServer(serverInput(net, { adminPass: 'Kgd#Pass~2026' }))
      .catch((e) => e);
    expect(odd.message).toMatch(/not "#~"/);
    expect(f.sim.inspect().stats['ecs.createServers']?.calls ?? 0).toBe(1);
  });
});
