import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type CloudFixture,
  defaultImageId,
  startCloudFixture,
} from '../../../test/support/cloud-sim.js';
import { clientToken } from '../../cloud/client-token.js';
import { kgdTags } from '../../cloud/tags.js';
import { waitForJob } from '../../cloud/wait-for-job.js';
import { Permanent } from '../../platform/errors.js';
import { createTeardownSteps, type TeardownScope } from './teardown.js';

/**
 * The one teardown against the simulated cloud through the real adapter (official SDK over
 * HTTP), at realistic durations on a manual clock: deletes are asynchronous (huawei-cloud.md
 * §5.4), so each step waits until what it deleted is really gone, rides out the transient and
 * in-use answers, and fails only on what the cloud really refuses.
 */
let f: CloudFixture;
const instanceId = 'kgi-t1';
const tags = kgdTags({ instanceId, orderId: 'CS0009' });
let logs: string[];
const scope: TeardownScope = {
  log: async (_level, message) => {
    logs.push(message);
  },
};

beforeEach(async () => {
  f = await startCloudFixture();
  logs = [];
});
afterEach(() => f.stop());

async function deployment() {
  const vpc = await f.cloud.ensureVpc({ name: `kgd-${instanceId}`, cidr: '192.168.0.0/16', tags });
  const subnet = await f.cloud.ensureSubnet({
    vpcId: vpc.id,
    name: `kgd-${instanceId}`,
    cidr: '192.168.0.0/24',
    gatewayIp: '192.168.0.1',
    tags,
  });
  const sg = await f.cloud.ensureSecurityGroup({
    name: `kgd-${instanceId}`,
    tags,
    rules: [{ direction: 'ingress', protocol: 'tcp', ports: '22', remoteIpPrefix: '0.0.0.0/0' }],
  });
  const { jobId } = await f.cloud.createServer({
    clientToken: clientToken({ instanceId, operationId: 'op_1', step: 'create-server' }),
    name: `kgd-${instanceId}`,
    imageId: defaultImageId,
    flavor: 's6.small.1',
    vpcId: vpc.id,
    subnetId: subnet.id,
    securityGroupIds: [sg.id],
    adminPass: 'Kgd-Test-Pass-01',
    rootVolume: { type: 'SSD', sizeGb: 40 },
    eip: { bandwidthMb: 1 },
    tags,
  });
  await waitForJob(f.cloud, jobId, { clock: f.clock, timeoutMs: 1_800_000 });
}

const empty = () => {
  const inv = f.sim.inspect();
  return [inv.servers, inv.vpcs, inv.subnets, inv.securityGroups, inv.eips, inv.volumes];
};

describe('teardown against asynchronous deletes', () => {
  it('waits out Ecs.0603 and Ecs.0501, DELETED servers and ports released late, and leaves nothing', async () => {
    await deployment();
    f.sim.faults.script('ecs.deleteServers', [
      { kind: 'busy', answer: 'Ecs.0603' },
      { kind: 'busy', answer: 'Ecs.0501' },
    ]);
    const steps = createTeardownSteps({ cloud: f.cloud, clock: f.clock });
    const started = f.clock.now().getTime();

    expect(await steps.deleteServers(instanceId, scope)).toBe(1);
    // Refused twice, retried after the waits the cloud asked for (60 s, then 120 s).
    expect(f.sim.inspect().stats['ecs.deleteServers']?.calls).toBe(3);
    expect(f.clock.now().getTime() - started).toBeGreaterThanOrEqual(180_000);

    // The server's port still holds the group and the subnet: in use, retried until released.
    expect(await steps.deleteNetwork(instanceId, scope)).toBe(3);
    const stats = f.sim.inspect().stats;
    expect(stats['vpc3.deleteSecurityGroup']?.calls).toBeGreaterThan(1);
    expect(empty()).toEqual([[], [], [], [], [], []]);

    expect(await steps.verifyTeardown(instanceId, scope)).toEqual({ rounds: 1 });
    // Idempotent: a rerun after everything is gone finds nothing and calls no delete.
    expect(await steps.deleteServers(instanceId, scope)).toBe(0);
    expect(await steps.deleteNetwork(instanceId, scope)).toBe(0);
  });

  it('an EIP the server delete left behind is deleted on its own, after the server, riding out busy and stream-control answers, and awaited until gone', async () => {
    await deployment();
    const address = f.sim.inspect().servers[0]!.eip!;
    f.sim.faults.apply({ eipLeftRate: 1 });
    f.sim.faults.script('vpc.deletePublicip', [{ kind: 'busy' }]);
    f.sim.faults.script('vpc.showPublicip', [null, { kind: 'busy', answer: 'stream-control' }]);
    const steps = createTeardownSteps({ cloud: f.cloud, clock: f.clock });

    expect(await steps.deleteServers(instanceId, scope)).toBe(1);
    const stats = f.sim.inspect().stats;
    // Refused once as busy (409 VPC.0512), then accepted (204): PENDING_DELETE, then gone.
    expect(stats['vpc.deletePublicip']?.refusals).toEqual({ 'VPC.0512': 1 });
    expect(stats['vpc.deletePublicip']?.calls).toBe(2);
    // A 500 while it was deleting (retried), then the 404 that says it is gone.
    expect(stats['vpc.showPublicip']?.refusals).toEqual({ 'SIM.5XX': 1, 'VPC.0504': 1 });
    expect(f.sim.inspect().eips).toEqual([]);
    expect(logs).toContain(`EIP ${address} outlived its server: deleted on its own`);

    await steps.deleteNetwork(instanceId, scope);
    expect(await steps.verifyTeardown(instanceId, scope)).toEqual({ rounds: 1 });
    expect(empty()).toEqual([[], [], [], [], [], []]);
    expect(f.sim.inspect().orphans).toEqual([]);
  });

  it('ends at once with the cloud refusing for good (a frozen account), not after the budget', async () => {
    await deployment();
    const steps = createTeardownSteps({ cloud: f.cloud, clock: f.clock });
    await steps.deleteServers(instanceId, scope);
    f.sim.faults.inject({ api: 'vpc.deleteVpc', fault: { kind: 'frozen' } });
    const started = f.clock.now().getTime();
    const err = await steps.deleteNetwork(instanceId, scope).catch((e) => e);
    expect(err).toBeInstanceOf(Permanent);
    expect(err).toMatchObject({ code: 'VPC.2701', httpStatus: 403 });
    // Only the waits for the port and the subnet to go, far from the 10-minute budget.
    expect(f.clock.now().getTime() - started).toBeLessThan(5 * 60_000);
  });
});
