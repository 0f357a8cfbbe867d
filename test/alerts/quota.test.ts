import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlerting } from '../../src/alerts/alerting.js';
import { createServerQuotaWatch } from '../../src/alerts/cloud-quota.js';
import { createAlertDeliverer } from '../../src/alerts/deliver.js';
import type { AlertContext } from '../../src/alerts/outbox.js';
import { clientToken } from '../../src/cloud/client-token.js';
import type { CreateServerInput } from '../../src/cloud/cloud-api.js';
import { kgdTags } from '../../src/cloud/tags.js';
import { waitForJob } from '../../src/cloud/wait-for-job.js';
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database.js';
import { createIds } from '../../src/platform/ids.js';
import { createSilentLogger } from '../../src/platform/logger.js';
import { type CloudFixture, defaultImageId, startCloudFixture } from '../support/cloud-sim.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * The cloud-quota-nearly-exhausted alert from the project's real ECS quotas: the adapter reads
 * ShowServerLimits through the official SDK over HTTP from the simulator, whose used counts follow
 * the servers created and deleted. At 80 % of the servers allowed the alert fires; once servers
 * are deleted it resolves.
 */
const logger = createSilentLogger();
let f: CloudFixture;
let testDb: TestDatabase;
let handle: DatabaseHandle;

beforeAll(async () => {
  f = await startCloudFixture({ sim: { quotas: { instances: 5, cores: 200, ramMb: 409_600 } } });
  testDb = await createTestDatabase('kgd_alert_quota');
  handle = await openDatabase({ url: testDb.url, poolSize: 3, logger });
});
afterAll(async () => {
  await f?.stop();
  await handle?.close();
  await testDb?.drop();
});

describe('ECS quota alert', () => {
  it('the adapter reads the project quotas, which follow the servers created and deleted', async () => {
    const before = await f.cloud.serverQuota();
    expect(before.instances).toEqual({ used: 0, max: 5 });
    expect(before.cores).toEqual({ used: 0, max: 200 });
    expect(before.ramMb).toEqual({ used: 0, max: 409_600 });
  });

  it('fires at 80 % of the servers allowed and resolves when servers are deleted', async () => {
    const { cloud, clock } = f;
    const wait = (jobId: string) => waitForJob(cloud, jobId, { clock, timeoutMs: 30 * 60_000 });
    const tags = kgdTags({ instanceId: 'kgi-quota' });
    const vpc = await cloud.ensureVpc({ name: 'kgd-quota', cidr: '192.168.0.0/16', tags });
    const subnet = await cloud.ensureSubnet({
      vpcId: vpc.id,
      name: 'kgd-quota',
      cidr: '192.168.0.0/24',
      gatewayIp: '192.168.0.1',
      tags,
    });
    const sg = await cloud.ensureSecurityGroup({ name: 'kgd-quota', tags, rules: [] });
    const server = (n: number): CreateServerInput => ({
      clientToken: clientToken({
        instanceId: `kgi-quota-${n}`,
        operationId: 'op_1',
        step: 'create-server',
      }),
      name: `kgd-quota-${n}`,
      imageId: defaultImageId,
      flavor: 's6.medium.2',
      az: f.sim.azs[0]!,
      vpcId: vpc.id,
      subnetId: subnet.id,
      securityGroupIds: [sg.id],
      adminPass: 'Kgd-Quota-Pass-1',
      rootVolume: { type: 'SSD', sizeGb: 40 },
      tags,
    });

    const ctx: AlertContext = {
      db: handle.db,
      clock,
      ids: createIds(clock),
      channels: [],
      source: 'https://deploy.example.com',
      resolveAfterMs: 0,
    };
    const alerting = createAlerting({
      ctx,
      deliverer: createAlertDeliverer({ db: handle.db, clock, logger, channels: [] }),
      conditions: [
        {
          kinds: ['cloud-quota-nearly-exhausted'],
          everyMs: 0,
          evaluate: createServerQuotaWatch({
            read: () => cloud.serverQuota(),
            clock,
            ratio: 0.8,
            everyMs: 0,
          }),
        },
      ],
      logger,
    });
    const alerts = () =>
      handle.db
        .selectFrom('alerts')
        .select(['key', 'state', 'summary'])
        .where('kind', '=', 'cloud-quota-nearly-exhausted')
        .execute();

    const ids: string[] = [];
    for (let n = 1; n <= 3; n++) {
      const created = await cloud.createServer(server(n));
      await wait(created.jobId);
      ids.push(...created.serverIds);
    }
    await alerting.tick({ force: true });
    expect(await alerts()).toEqual([]); // 3 of 5: 60 %

    const fourth = await cloud.createServer(server(4));
    await wait(fourth.jobId);
    ids.push(...fourth.serverIds);
    expect((await cloud.serverQuota()).instances).toEqual({ used: 4, max: 5 });
    await alerting.tick({ force: true });
    const firing = await alerts();
    expect(firing).toHaveLength(1);
    expect(firing[0]).toMatchObject({
      key: 'cloud-quota-nearly-exhausted:ecs.instances',
      state: 'firing',
    });
    expect(firing[0]!.summary).toContain('4 of 5 servers used (80 %');

    const deleted = await cloud.deleteServers(ids.slice(0, 2), {
      deletePublicIp: true,
      deleteVolume: true,
    });
    if (deleted.jobId) await wait(deleted.jobId);
    expect((await cloud.serverQuota()).instances).toEqual({ used: 2, max: 5 });
    await alerting.tick({ force: true });
    expect(await alerts()).toMatchObject([
      { key: 'cloud-quota-nearly-exhausted:ecs.instances', state: 'resolved' },
    ]);
  });
});
