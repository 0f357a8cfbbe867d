import { afterEach, describe, expect, it } from 'vitest';
import { type BuyerFixture, startBuyerFixture } from '../../test/support/buyer-sim.js';
import { defaultImageId } from '../../test/support/cloud-sim.js';
import { createMemoryLogger } from '../platform/logger.js';
import { AccessRefused } from './access-refused.js';
import { clientToken } from './client-token.js';
import type { CloudApi } from './cloud-api.js';
import { kgdTags } from './tags.js';
import { waitForJob } from './wait-for-job.js';

/**
 * Deploying into a buyer's account (issue 14) through HTTP against the simulator with the real
 * SDKs: IAM's assume_role, temporary keys on ECS and VPC, the buyer's refusals as typed errors.
 */
let f: BuyerFixture;
afterEach(async () => {
  await f?.stop();
});

const tags = kgdTags({ instanceId: 'kgi-b1', orderId: 'CS0001' });
/** What the deploy calls, as a least-privilege policy would list them. */
const deployActions = [
  'vpc:vpcs:*',
  'vpc:subnets:*',
  'vpc:securityGroups:*',
  'vpc:securityGroupRules:*',
  'vpc:publicIps:create',
  'ecs:cloudServers:*',
];

async function refusal(p: Promise<unknown>): Promise<AccessRefused> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AccessRefused);
  return err as AccessRefused;
}

async function createServer(cloud: CloudApi) {
  const vpc = await cloud.ensureVpc({ name: 'kgd-kgi-b1', cidr: '192.168.0.0/16', tags });
  const subnet = await cloud.ensureSubnet({
    vpcId: vpc.id,
    name: 'kgd-kgi-b1',
    cidr: '192.168.1.0/24',
    gatewayIp: '192.168.1.1',
    az: 'cn-north-4a',
    tags,
  });
  const sg = await cloud.ensureSecurityGroup({ name: 'kgd-kgi-b1', tags, rules: [] });
  return cloud.createServer({
    clientToken: clientToken({ instanceId: 'kgi-b1', operationId: 'op_1', step: 'create-server' }),
    name: 'kgd-kgi-b1',
    imageId: defaultImageId,
    flavor: 's6.medium.2',
    az: 'cn-north-4a',
    vpcId: vpc.id,
    subnetId: subnet.id,
    securityGroupIds: [sg.id],
    adminPass: 'Kgd-Test-Pass-01',
    rootVolume: { type: 'SSD', sizeGb: 40 },
    eip: { bandwidthMb: 5 },
    tags,
    metadata: {},
  });
}

describe('a buyer account through an agency', () => {
  it('creates a VPC in the buyer account with temporary keys; the seller cannot see it', async () => {
    f = await startBuyerFixture();
    await f.createAgency({ actions: deployActions });
    const cloud = f.accounts.cloudFor(f.account, 'cn-north-4');
    const vpc = await cloud.ensureVpc({ name: 'kgd-kgi-b1', cidr: '192.168.0.0/16', tags });

    const buyerSide = f.sim.accounts.inspect(f.buyer.domainId, 'cn-north-4');
    expect(buyerSide?.vpcs.map((v) => v.id)).toEqual([vpc.id]);
    expect(f.sim.inspect().vpcs).toEqual([]);
    const seller = f.accounts.cloudFor({ kind: 'seller' });
    expect((await seller.findNetworkByTag('kgd-instance', 'kgi-b1')).vpcs).toEqual([]);
    expect(await seller.getServer(vpc.id)).toBeUndefined();
    // One assume for the whole run: the keys are cached.
    expect(f.issued).toHaveLength(1);
  });

  it('names the agency when it is absent', async () => {
    f = await startBuyerFixture();
    const err = await refusal(
      f.accounts.cloudFor(f.account).ensureVpc({ name: 'x', cidr: '192.168.0.0/16', tags }),
    );
    expect(err.reason).toBe('agency-absent');
    expect(err.message).toContain('agency kgd-deployer');
    expect(err.message).toContain('trusting kgd-seller');
  });

  it('says the agency does not trust the seller when it trusts another account', async () => {
    f = await startBuyerFixture();
    f.sim.accounts.create({ name: 'someone-else' });
    await f.createAgency({ actions: deployActions, trustDomainName: 'someone-else' });
    const err = await refusal(
      f.accounts.cloudFor(f.account).ensureVpc({ name: 'x', cidr: '192.168.0.0/16', tags }),
    );
    expect(err.reason).toBe('not-trusted');
    expect(err.message).toContain('does not trust kgd-seller');
  });

  it('refuses a seller key that lacks the Agent Operator role', async () => {
    f = await startBuyerFixture();
    await f.createAgency({ actions: deployActions });
    const user = f.sim.accounts.addUser(f.sim.domainId, 'ci-robot', false);
    const err = await refusal(
      f
        .withProvider(user)
        .cloudFor(f.account)
        .ensureVpc({ name: 'x', cidr: '192.168.0.0/16', tags }),
    );
    expect(err.reason).toBe('not-trusted');
    expect(err.message).toContain('Agent Operator');
    // An IAM user holding the role may assume.
    const operator = f.sim.accounts.addUser(f.sim.domainId, 'deployer', true);
    await f
      .withProvider(operator)
      .cloudFor(f.account)
      .ensureVpc({ name: 'x', cidr: '192.168.0.0/16', tags });
  });

  it('names the missing permission and the region it is missing in', async () => {
    f = await startBuyerFixture();
    // Granted in cn-north-4 only, and without creating servers.
    await f.createAgency({
      actions: deployActions.filter((a) => !a.startsWith('ecs:')).concat('ecs:cloudServers:get'),
      regions: ['cn-north-4'],
    });
    const east = await refusal(
      f.accounts
        .cloudFor(f.account, 'cn-east-3')
        .ensureVpc({ name: 'x', cidr: '192.168.0.0/16', tags }),
    );
    expect(east.reason).toBe('permission-missing');
    expect(east.region).toBe('cn-east-3');
    expect(east.message).toMatch(/^permission vpc:vpcs:\w+ missing in cn-east-3/);

    const north = await refusal(createServer(f.accounts.cloudFor(f.account, 'cn-north-4')));
    expect(north.reason).toBe('permission-missing');
    expect(north.message).toMatch(/^permission ecs:cloudServers:create missing in cn-north-4/);
  });

  it('renews keys that expire during a long job wait, without a second create', async () => {
    f = await startBuyerFixture();
    await f.createAgency({ actions: deployActions });
    const accounts = f.withProvider({ durationSeconds: 900, refreshMarginMs: 60_000 });
    const cloud = accounts.cloudFor(f.account);
    const { jobId } = await createServer(cloud);
    const before = f.issued.length;
    // The job is still running when the keys' 15 minutes are up.
    f.clock.advance(15 * 60_000);
    const job = await waitForJob(cloud, jobId, { clock: f.clock, timeoutMs: 30 * 60_000 });
    expect(job.status).toBe('SUCCESS');
    expect(f.issued.length).toBe(before + 1);
    expect(f.sim.accounts.inspect(f.buyer.domainId, 'cn-north-4')?.servers).toHaveLength(1);
  });

  it('renews once when the cloud answers that the keys expired (our clock behind)', async () => {
    f = await startBuyerFixture();
    await f.createAgency({ actions: deployActions });
    const behind = {
      now: () => new Date(f.clock.now().getTime() - 20 * 60_000),
      sleep: f.clock.sleep,
    };
    const cloud = f.withProvider({ durationSeconds: 900, clock: behind }).cloudFor(f.account);
    await cloud.ensureVpc({ name: 'kgd-kgi-b1', cidr: '192.168.0.0/16', tags });
    const before = f.issued.length;
    f.clock.advance(16 * 60_000);
    // Our clock says 15 minutes remain; the cloud says expired: renewed, then answered.
    expect((await cloud.findNetworkByTag('kgd-instance', 'kgi-b1')).vpcs).toHaveLength(1);
    expect(f.issued.length).toBe(before + 1);
  });

  it('never writes a temporary secret to a log, an error message or stdout', async () => {
    const { logger, lines } = createMemoryLogger();
    const printed: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      printed.push(String(chunk));
      return write(chunk, ...rest);
    }) as typeof process.stdout.write;
    try {
      f = await startBuyerFixture({ logger });
      await f.createAgency({ actions: ['vpc:*:*'], regions: ['cn-north-4'] });
      const cloud = f.accounts.cloudFor(f.account, 'cn-north-4');
      await cloud.ensureVpc({ name: 'kgd-kgi-b1', cidr: '192.168.0.0/16', tags });
      const err = await refusal(createServer(cloud));
      const secrets = f.issued.flatMap((c) => [c.secret, c.securitytoken]).concat(f.sim.sk);
      expect(secrets.length).toBeGreaterThan(2);
      const seen = [...lines, ...printed, err.message, JSON.stringify(err), String(err.stack)].join(
        '\n',
      );
      expect(lines.some((l) => l.includes('permission ecs:cloudServers:create missing'))).toBe(
        true,
      );
      for (const secret of secrets) expect(seen).not.toContain(secret);
    } finally {
      process.stdout.write = write;
    }
  });
});
