import { describe, expect, it } from 'vitest';
import { clientToken } from '../../../src/cloud/client-token.js';
import type { CreateServerInput } from '../../../src/cloud/cloud-api.js';
import {
  CloudCapacityExhausted,
  CloudConflict,
  CloudRetryable,
  throttleWaitMs,
} from '../../../src/cloud/errors.js';
import { kgdTags } from '../../../src/cloud/tags.js';
import { waitForJob } from '../../../src/cloud/wait-for-job.js';
import { CapacityExhausted, Permanent, Retryable } from '../../../src/platform/errors.js';
import { createFakeCloud, type FakeCloud, fakeImageId } from './cloud.js';
import { createManualClock, type ManualClock } from './manual-clock.js';

const tags = kgdTags({ instanceId: 'kgi-f' });

async function setup(cloud: FakeCloud) {
  const vpc = await cloud.ensureVpc({ name: 'kgd-f', cidr: '192.168.0.0/16', tags });
  const subnet = await cloud.ensureSubnet({
    vpcId: vpc.id,
    name: 'kgd-f',
    cidr: '192.168.0.0/24',
    gatewayIp: '192.168.0.1',
    tags,
  });
  const sg = await cloud.ensureSecurityGroup({ name: 'kgd-f', tags, rules: [] });
  const input = (step: string, over: Partial<CreateServerInput> = {}): CreateServerInput => ({
    clientToken: clientToken({ instanceId: 'kgi-f', operationId: 'op', step }),
    name: 'kgd-f',
    imageId: fakeImageId,
    flavor: 's6.medium.2',
    az: 'cn-north-4a',
    vpcId: vpc.id,
    subnetId: subnet.id,
    securityGroupIds: [sg.id],
    adminPass: 'Kgd-Fake-Pass-1',
    rootVolume: { type: 'SSD', sizeGb: 40 },
    eip: { bandwidthMb: 1 },
    tags,
    ...over,
  });
  return { vpc, subnet, sg, input };
}

const wait = (cloud: FakeCloud, clock: ManualClock, jobId: string) =>
  waitForJob(cloud, jobId, { clock, timeoutMs: 3_600_000 });

describe('the fake cloud', () => {
  it('runs jobs on the clock: nothing changes until the clock reaches their end', async () => {
    const clock = createManualClock();
    const cloud = createFakeCloud({ clock, durations: { createMs: 30_000 } });
    const { input } = await setup(cloud);
    const { jobId, serverIds } = await cloud.createServer(input('create'));
    expect((await cloud.getJob(jobId)).status).toBe('RUNNING');
    expect((await cloud.getServer(serverIds[0]!))?.status).toBe('BUILD');
    clock.advance(29_999);
    expect((await cloud.getJob(jobId)).status).toBe('RUNNING');
    clock.advance(1);
    expect(await cloud.getJob(jobId)).toMatchObject({ status: 'SUCCESS', serverIds });
    expect((await cloud.getServer(serverIds[0]!))?.status).toBe('ACTIVE');
  });

  it('sells out synchronously or through the job, as asked', async () => {
    const clock = createManualClock({ auto: true });
    const cloud = createFakeCloud({ clock });
    const { input } = await setup(cloud);
    cloud.faults.soldOut({ az: 'cn-north-4a', in: 'create' });
    const sync = await cloud.createServer(input('a')).catch((e) => e);
    expect(sync).toBeInstanceOf(CloudCapacityExhausted);
    expect(sync).toMatchObject({ code: 'Ecs.0018', httpStatus: 400 });
    expect(cloud.inventory().servers).toEqual([]);

    cloud.faults.soldOut({ az: 'cn-north-4b', flavor: 's6.medium.2' });
    const created = await cloud.createServer(input('b', { az: 'cn-north-4b' }));
    const failed = await wait(cloud, clock, created.jobId).catch((e) => e);
    expect(failed).toBeInstanceOf(CapacityExhausted);
    expect(cloud.inventory()).toMatchObject({ servers: [], eips: [] });
    const job = await cloud.getJob(created.jobId);
    expect(job.failures).toEqual([
      {
        serverId: created.serverIds[0],
        code: 'Ecs.0319',
        reason: expect.stringMatching(/sold out/),
      },
    ]);
    const ok = await cloud.createServer(input('c', { az: 'cn-north-4c' }));
    expect((await wait(cloud, clock, ok.jobId)).status).toBe('SUCCESS');
  });

  it('answers "in use" N times, throttles, and refuses a method, with the adapter classes', async () => {
    const clock = createManualClock({ auto: true });
    const cloud = createFakeCloud({ clock });
    const { vpc, subnet } = await setup(cloud);
    cloud.faults.inUse('deleteSubnet', 2);
    for (let i = 0; i < 2; i++) {
      await expect(cloud.deleteSubnet(vpc.id, subnet.id)).rejects.toBeInstanceOf(CloudConflict);
    }
    await cloud.deleteSubnet(vpc.id, subnet.id);
    expect(cloud.inventory().subnets).toEqual([]);
    expect(cloud.callsOf('deleteSubnet')).toHaveLength(3);

    cloud.faults.throttle('findServersByTag');
    const throttled = await cloud.findServersByTag('kgd-instance', 'kgi-f').catch((e) => e);
    expect(throttled).toBeInstanceOf(CloudRetryable);
    expect(throttled).toMatchObject({ code: 'APIGW.0308', retryAfterMs: throttleWaitMs });
    expect(await cloud.findServersByTag('kgd-instance', 'kgi-f')).toEqual([]);

    cloud.faults.permanent('ensureVpc', { code: 'VPC.0114', message: 'quota exceeded' });
    for (let i = 0; i < 2; i++) {
      const err = await cloud
        .ensureVpc({ name: 'kgd-g', cidr: '10.0.0.0/16', tags })
        .catch((e) => e);
      expect(err).toBeInstanceOf(Permanent);
      expect(err).toMatchObject({ code: 'VPC.0114' });
    }
    cloud.faults.clear();
    await expect(
      cloud.ensureVpc({ name: 'kgd-g', cidr: '10.0.0.0/16', tags }),
    ).resolves.toBeDefined();
  });

  it('loses an answer after the effect: the retry with the same token finds the same server', async () => {
    const clock = createManualClock({ auto: true });
    const cloud = createFakeCloud({ clock });
    const { input } = await setup(cloud);
    cloud.faults.failNext('createServer', new Retryable('timed out'), { afterEffect: true });
    await expect(cloud.createServer(input('lost'))).rejects.toBeInstanceOf(Retryable);
    const retried = await cloud.createServer(input('lost'));
    expect(cloud.inventory().servers.map((s) => s.id)).toEqual(retried.serverIds);
  });

  it('keeps EIPs and the shared network as asked, and lists them in the inventory', async () => {
    const clock = createManualClock({ auto: true });
    const cloud = createFakeCloud({
      clock,
      sharedNetwork: { vpcId: 'vpc-s', subnetId: 'subnet-s' },
    });
    const { vpc, subnet, input } = await setup(cloud);
    expect([vpc.id, vpc.owned, subnet.id, subnet.owned]).toEqual([
      'vpc-s',
      false,
      'subnet-s',
      false,
    ]);
    const { jobId, serverIds } = await cloud.createServer(input('eip'));
    await wait(cloud, clock, jobId);
    const [eip] = cloud.inventory().eips;
    expect(eip).toMatchObject({ serverId: serverIds[0] });
    expect((await cloud.getServer(serverIds[0]!))?.floatingIps).toEqual([eip!.address]);
    const deletion = await cloud.deleteServers(serverIds, {
      deletePublicIp: false,
      deleteVolume: true,
    });
    await wait(cloud, clock, deletion.jobId!);
    expect(cloud.inventory().eips).toEqual([
      { id: eip!.id, address: eip!.address, createdAt: expect.any(Number) },
    ]);
    await cloud.deleteSubnet(vpc.id, subnet.id);
    await cloud.deleteVpc(vpc.id);
    expect(cloud.inventory()).toMatchObject({
      vpcs: [{ id: 'vpc-s' }],
      subnets: [{ id: 'subnet-s' }],
    });
  });
});
