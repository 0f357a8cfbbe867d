import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type CloudFixture,
  defaultImageId,
  startCloudFixture,
} from '../../test/support/cloud-sim.js';
import { CapacityExhausted, Permanent, Retryable } from '../platform/errors.js';
import { createMemoryLogger } from '../platform/logger.js';
import { clientToken } from './client-token.js';
import type { CreateServerInput } from './cloud-api.js';
import { CloudCapacityExhausted, CloudPermanent, CloudRetryable } from './errors.js';
import { kgdTags } from './tags.js';
import { waitForJob } from './wait-for-job.js';

/** Retries and classification, with faults injected into the simulator. */
let f: CloudFixture;
const tags = kgdTags({ instanceId: 'kgi-f1', orderId: 'CS0002' });

// Short enough that a held answer times out soon, long enough that a loaded machine's ordinary
// call does not (at 300 ms one did, was resent, and met the 1-a-minute limit of its test).
beforeEach(async () => {
  f = await startCloudFixture({ settings: { timeoutMs: 2000 } });
});
afterEach(async () => {
  await f.stop();
});

async function network() {
  const vpc = await f.cloud.ensureVpc({ name: 'kgd-kgi-f1', cidr: '192.168.0.0/16', tags });
  const subnet = await f.cloud.ensureSubnet({
    vpcId: vpc.id,
    name: 'kgd-kgi-f1',
    cidr: '192.168.0.0/24',
    gatewayIp: '192.168.0.1',
    tags,
  });
  return { vpc, subnet };
}

const server = (
  net: Awaited<ReturnType<typeof network>>,
  over: Partial<CreateServerInput> = {},
): CreateServerInput => ({
  clientToken: clientToken({ instanceId: 'kgi-f1', operationId: 'op_1', step: 'create-server' }),
  name: 'kgd-kgi-f1',
  imageId: defaultImageId,
  flavor: 's6.small.1',
  az: 'cn-north-4b',
  vpcId: net.vpc.id,
  subnetId: net.subnet.id,
  securityGroupIds: [],
  adminPass: 'Kgd-Test-Pass-01',
  rootVolume: { type: 'SSD', sizeGb: 40 },
  eip: { bandwidthMb: 1 },
  tags,
  ...over,
});

const calls = (api: string) => f.sim.inspect().stats[api]?.calls ?? 0;
const wait = (jobId: string) =>
  waitForJob(f.cloud, jobId, { clock: f.clock, timeoutMs: 1_800_000 });

describe('retried', () => {
  it('throttling (429 APIGW.0308) goes up at once with a wait into the next minute', async () => {
    f.sim.faults.script('vpc.listVpcsByTags', [{ kind: 'throttle' }]);
    const err = await f.cloud
      .ensureVpc({ name: 'kgd-kgi-f1', cidr: '192.168.0.0/16', tags })
      .catch((e) => e);
    // The gateway counts per minute: a retry within the call would be throttled again. The
    // step runner waits (cancellable, within the product's budget) and asks again.
    expect(err).toBeInstanceOf(CloudRetryable);
    expect(err).toMatchObject({ code: 'APIGW.0308', httpStatus: 429, retryAfterMs: 60_000 });
    expect(err.message).toMatch(/per minute/);
    expect(calls('vpc.listVpcsByTags')).toBe(1);
    expect(f.slept).toEqual([]);
  });

  it('the gateway rate limit answers 429 until the minute has passed, then the call works', async () => {
    f.sim.faults.setRateLimit('vpc.listVpcsByTags', 1);
    const vpc = await f.cloud.ensureVpc({ name: 'kgd-kgi-f1', cidr: '192.168.0.0/16', tags });
    const throttled = await f.cloud
      .ensureVpc({ name: 'kgd-kgi-f1', cidr: '192.168.0.0/16', tags })
      .catch((e) => e);
    expect(throttled).toMatchObject({ code: 'APIGW.0308' });
    await f.sleep(throttled.retryAfterMs);
    expect((await f.cloud.ensureVpc({ name: 'kgd-kgi-f1', cidr: '192.168.0.0/16', tags })).id).toBe(
      vpc.id,
    );
  });

  it('5xx answers and reset connections are retried', async () => {
    const net = await network();
    f.sim.faults.script('ecs.showServer', [
      { kind: 'server-error', status: 503 },
      { kind: 'reset' },
      { kind: 'server-error', status: 500 },
    ]);
    const { jobId, serverIds } = await f.cloud.createServer(server(net));
    expect((await f.cloud.getServer(serverIds[0]!))?.status).toBe('BUILD');
    expect(calls('ecs.showServer')).toBe(4);
    await wait(jobId);
  });

  it('a create whose answer is lost (timeout after the fact) is retried with the same token: one server', async () => {
    const net = await network();
    f.sim.faults.script('ecs.createServers', [
      { kind: 'timeout', processed: true, holdMs: 10_000 },
    ]);
    const { jobId, serverIds } = await f.cloud.createServer(server(net));
    expect(calls('ecs.createServers')).toBe(2);
    expect(f.sim.inspect().servers.map((s) => s.id)).toEqual(serverIds);
    expect((await wait(jobId)).serverIds).toEqual(serverIds);
  });

  it('a VPC create whose answer is lost is not repeated: the lookup finds it', async () => {
    f.sim.faults.script('vpc.createVpc', [{ kind: 'timeout', processed: true, holdMs: 10_000 }]);
    const vpc = await f.cloud.ensureVpc({ name: 'kgd-kgi-f1', cidr: '192.168.0.0/16', tags });
    expect(calls('vpc.createVpc')).toBe(1);
    expect(f.sim.inspect().vpcs.map((v) => v.id)).toEqual([vpc.id]);
  });

  it('a subnet still used by a deleted server is Retryable (500 VPC.0209) until its port is released', async () => {
    const net = await network();
    const job = await wait((await f.cloud.createServer(server(net))).jobId);
    const deletion = await f.cloud.deleteServers(job.serverIds, {
      deletePublicIp: true,
      deleteVolume: true,
    });
    await wait(deletion.jobId!);
    // The job is done and the server gone for the port; its port is released later (§5.4).
    expect(await f.cloud.getServer(job.serverIds[0]!)).toBeUndefined();
    const inUse = await f.cloud.deleteSubnet(net.vpc.id, net.subnet.id).catch((e) => e);
    expect(inUse).toBeInstanceOf(Retryable);
    expect(inUse).toMatchObject({ code: 'VPC.0209', httpStatus: 500 });
    expect(inUse.message).toMatch(/still in use/);
    await f.sleep(45_000);
    const before = calls('vpc.showSubnet');
    await f.cloud.deleteSubnet(net.vpc.id, net.subnet.id);
    // It returned once GET answered 404, not at the 204.
    expect(f.sim.inspect().subnets).toEqual([]);
    expect(calls('vpc.showSubnet') - before).toBeGreaterThan(2);
  });

  it('gives up after the configured attempts with a retryable error', async () => {
    f.sim.faults.inject({ api: 'ecs.showJob', fault: { kind: 'server-error', status: 502 } });
    const err = await f.cloud.getJob('0123456789abcdef0123456789abcdef').catch((e) => e);
    expect(err).toBeInstanceOf(CloudRetryable);
    expect(err).toMatchObject({ httpStatus: 502, operation: 'ecs.showJob' });
    expect(calls('ecs.showJob')).toBe(6);
  });
});

describe('not retried', () => {
  it('ECS quota (Ecs.0001) is permanent and asked once', async () => {
    const net = await network();
    f.sim.faults.setQuotas({ instances: 0 });
    const err = await f.cloud.createServer(server(net)).catch((e) => e);
    expect(err).toBeInstanceOf(CloudPermanent);
    expect(err).not.toBeInstanceOf(CapacityExhausted);
    expect(err).toMatchObject({ code: 'Ecs.0001', httpStatus: 400 });
    expect(err.message).toMatch(/quota exhausted .*raise the quota in region cn-north-4/);
    expect(calls('ecs.createServers')).toBe(1);
  });

  it('VPC quota (409 VPC.0114 in a {code,message} body) keeps its code and is permanent', async () => {
    f.sim.faults.setQuotas({ vpcs: 0 });
    const err = await f.cloud
      .ensureVpc({ name: 'kgd-kgi-f1', cidr: '192.168.0.0/16', tags })
      .catch((e) => e);
    expect(err).toBeInstanceOf(Permanent);
    expect(err).not.toBeInstanceOf(Retryable);
    expect(err).toMatchObject({ code: 'VPC.0114', httpStatus: 409 });
    expect(err.message).toMatch(/Quota exceeded/);
    expect(calls('vpc.createVpc')).toBe(1);
  });

  it('a sold-out flavor fails the job and surfaces as capacity, for that AZ only', async () => {
    const net = await network();
    f.sim.faults.soldOut({ az: 'cn-north-4b', flavor: 's6.small.1' });
    const created = await f.cloud.createServer(server(net));
    const err = await wait(created.jobId).catch((e) => e);
    expect(err).toBeInstanceOf(CloudCapacityExhausted);
    expect(err).toMatchObject({ code: 'Ecs.0319' });
    expect(err.message).toMatch(/sold out.*try another availability zone or flavor/);
    expect(await f.cloud.getServer(created.serverIds[0]!)).toBeUndefined();
    expect(calls('ecs.createServers')).toBe(1);
    // Quota and addresses were given back: another AZ works.
    const other = await f.cloud.createServer(
      server(net, {
        az: 'cn-north-4a',
        clientToken: clientToken({
          instanceId: 'kgi-f1',
          operationId: 'op_1',
          step: 'create-server-az-a',
        }),
      }),
    );
    expect((await wait(other.jobId)).status).toBe('SUCCESS');
    expect(f.sim.inspect().orphans).toEqual([]);
  });

  it('sold out in the create answer (400 Ecs.0018/Ecs.0319/Ecs.0044): capacity for that AZ, nothing created', async () => {
    const net = await network();
    f.sim.faults.soldOut({ az: 'cn-north-4b', flavor: 's6.small.1', in: 'create' });
    const err = await f.cloud.createServer(server(net)).catch((e) => e);
    expect(err).toBeInstanceOf(CloudCapacityExhausted);
    expect(err).toMatchObject({ httpStatus: 400, scope: 'az' });
    expect(['Ecs.0018', 'Ecs.0319', 'Ecs.0044']).toContain(err.code);
    expect(calls('ecs.createServers')).toBe(1);
    expect(f.sim.inspect().servers).toEqual([]);
  });

  it.each([
    ['Ecs.0018', 'az', 'Flavor s6.small.1 is sold out.'],
    ['Ecs.0319', 'az', 'Check capacity: Capacity is not enough.'],
    ['Ecs.0044', 'az', 'Disk type [SSD] has been sold out in AZ [cn-north-4b].'],
    ['Ecs.0019', 'flavor', 'Flavor s6.small.1 is abandoned'],
  ] as const)(
    'the create answer %s is capacity with scope %s, its message kept',
    async (code, scope, message) => {
      const net = await network();
      f.sim.faults.soldOut({ az: 'cn-north-4b', flavor: 's6.small.1', in: 'create', code });
      const err = await f.cloud.createServer(server(net)).catch((e) => e);
      expect(err).toBeInstanceOf(CloudCapacityExhausted);
      expect(err).toMatchObject({ code, httpStatus: 400, scope });
      expect(err.message).toContain(message);
      expect(f.sim.inspect().servers).toEqual([]);
    },
  );

  it('a failed create job is capacity whichever of its three places holds the reason', async () => {
    const net = await network();
    f.sim.faults.soldOut({ az: 'cn-north-4b', flavor: 's6.small.1' });
    const codes = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const token = clientToken({ instanceId: 'kgi-f1', operationId: 'op_1', step: `c${i}` });
      const created = await f.cloud.createServer(server(net, { clientToken: token }));
      const err = await wait(created.jobId).catch((e) => e);
      expect(err).toBeInstanceOf(CloudCapacityExhausted);
      expect(err).toMatchObject({ code: 'Ecs.0319', scope: 'az' });
      const job = await f.cloud.getJob(created.jobId);
      codes.add(job.errorCode ?? '-');
    }
    // The job's own code is sometimes the generic Ecs.0219: the sub-job's reason decided.
    expect([...codes].sort()).toEqual(['Ecs.0219', 'Ecs.0319']);
  });

  it('a failed job may leave its server in ERROR, holding its EIP until deleted', async () => {
    const net = await network();
    f.sim.faults.soldOut({ az: 'cn-north-4b', flavor: 's6.small.1', leaveError: true });
    const created = await f.cloud.createServer(server(net));
    await expect(wait(created.jobId)).rejects.toBeInstanceOf(CapacityExhausted);
    const left = await f.cloud.getServer(created.serverIds[0]!);
    expect(left).toMatchObject({ status: 'ERROR', fault: { message: /No valid host/ } });
    expect(left!.floatingIps).toHaveLength(1);
    const del = await f.cloud.deleteServers([left!.id], {
      deletePublicIp: true,
      deleteVolume: true,
    });
    await wait(del.jobId!);
    expect(await f.cloud.getServer(left!.id)).toBeUndefined();
    expect(f.sim.inspect().orphans).toEqual([]);
  });

  it('501 Ecs.0603 (busy) goes up at once as retryable after a minute', async () => {
    f.sim.faults.script('ecs.showServer', [{ kind: 'busy' }]);
    const err = await f.cloud.getServer('a-server').catch((e) => e);
    expect(err).toBeInstanceOf(CloudRetryable);
    expect(err).toMatchObject({ code: 'Ecs.0603', httpStatus: 501, retryAfterMs: 60_000 });
    expect(calls('ecs.showServer')).toBe(1);
  });

  it('a running server is not resized: 400 Ecs.0100, Permanent; stopped, it is', async () => {
    const net = await network();
    const job = await wait((await f.cloud.createServer(server(net))).jobId);
    const id = job.serverIds[0]!;
    expect((await f.cloud.getServer(id))?.status).toBe('ACTIVE');
    const running = await f.cloud.resizeServer(id, 's6.medium.2').catch((e) => e);
    expect(running).toBeInstanceOf(Permanent);
    expect(running).toMatchObject({ code: 'Ecs.0100', httpStatus: 400 });
    expect(running.message).toMatch(/stopped first/);
    expect(f.sim.inspect().stats['ecs.resize']?.refusals).toEqual({ 'Ecs.0100': 1 });
    await wait((await f.cloud.stopServers([id])).jobId);
    await wait((await f.cloud.resizeServer(id, 's6.medium.2')).jobId);
    expect(await f.cloud.getServer(id)).toMatchObject({ status: 'SHUTOFF', flavor: 's6.medium.2' });
  });

  it('an unknown flavor is answered 400 Ecs.0029 at create and resize: the next flavor, not a retry', async () => {
    const net = await network();
    const created = await f.cloud
      .createServer(server(net, { flavor: 'x9.huge.64' }))
      .catch((e) => e);
    expect(created).toBeInstanceOf(CapacityExhausted);
    expect(created).toMatchObject({ code: 'Ecs.0029', httpStatus: 400, scope: 'flavor' });
    expect(created.message).toContain('Flavor [x9.huge.64] does not exist.');
    const job = await wait((await f.cloud.createServer(server(net))).jobId);
    const id = job.serverIds[0]!;
    await wait((await f.cloud.stopServers([id])).jobId);
    const resized = await f.cloud.resizeServer(id, 'x9.huge.64').catch((e) => e);
    expect(resized).toBeInstanceOf(CapacityExhausted);
    expect(resized).toMatchObject({ code: 'Ecs.0029', scope: 'flavor' });
    expect(f.sim.inspect().stats['ecs.createServers']?.refusals).toEqual({ 'Ecs.0029': 1 });
  });

  it('a flavor out of stock in an AZ by catalogue is capacity too', async () => {
    const net = await network();
    const created = await f.cloud.createServer(
      server(net, { flavor: 'c7.xlarge.2', az: 'cn-north-4c' }),
    );
    await expect(wait(created.jobId)).rejects.toBeInstanceOf(CapacityExhausted);
  });

  it('a frozen account is permanent, with what to check', async () => {
    f.sim.faults.inject({ api: 'ecs.*', fault: { kind: 'frozen' } });
    const err = await f.cloud.getServer('x').catch((e) => e);
    expect(err).toBeInstanceOf(Permanent);
    expect(err).toMatchObject({ code: 'Ecs.0003', httpStatus: 403 });
    expect(err.message).toMatch(/account balance/);
  });

  it('the same client token with another body is refused (Ecs.0122)', async () => {
    const net = await network();
    await f.cloud.createServer(server(net));
    const err = await f.cloud.createServer(server(net, { name: 'kgd-other' })).catch((e) => e);
    expect(err).toBeInstanceOf(Permanent);
    expect(err).toMatchObject({ code: 'Ecs.0122' });
  });
});

describe('timeouts', () => {
  it('a hung request ends at the configured timeout and is retried, never hanging the caller', async () => {
    await f.stop();
    f = await startCloudFixture({ settings: { timeoutMs: 500 } });
    f.sim.faults.script('ecs.showJob', [{ kind: 'timeout', holdMs: 60_000 }]);
    const started = Date.now();
    const err = await f.cloud.getJob('0123456789abcdef0123456789abcdef').catch((e) => e);
    // Second attempt reaches the simulator and gets a clean 404: an unknown job is Permanent.
    expect(err).toBeInstanceOf(Permanent);
    expect(err).toMatchObject({ httpStatus: 404 });
    expect(calls('ecs.showJob')).toBeGreaterThanOrEqual(2);
    // Far sooner than the 60 s the simulator holds the answer.
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});

describe('logging', () => {
  it('reports retries and failures through the redacting logger, without secrets', async () => {
    const { logger, lines } = createMemoryLogger();
    const g = await startCloudFixture({ logger });
    try {
      g.sim.faults.setQuotas({ instances: 0 });
      g.sim.faults.script('vpc.listVpcsByTags', [{ kind: 'server-error', status: 503 }]);
      const vpc = await g.cloud.ensureVpc({ name: 'kgd-x', cidr: '192.168.0.0/16', tags });
      const subnet = await g.cloud.ensureSubnet({
        vpcId: vpc.id,
        name: 'kgd-x',
        cidr: '192.168.0.0/24',
        gatewayIp: '192.168.0.1',
        tags,
      });
      await g.cloud
        .createServer(server({ vpc, subnet }, { adminPass: 'Very-Secret-Pass-9' }))
        .catch(() => undefined);
    } finally {
      await g.stop();
    }
    const text = lines.join('\n');
    expect(text).toMatch(/"operation":"vpc.list-vpcs-by-tags".*retrying/);
    expect(text).toMatch(/"code":"Ecs.0001"/);
    expect(text).not.toContain('Very-Secret-Pass-9');
    expect(text).not.toContain(g.sim.sk);
    expect(text).not.toMatch(/SDK-HMAC-SHA256/);
  });
});
