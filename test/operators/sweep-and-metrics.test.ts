import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientToken } from '../../src/cloud/client-token.js';
import type { CloudApi } from '../../src/cloud/cloud-api.js';
import { kgdTags } from '../../src/cloud/tags.js';
import { waitForJob } from '../../src/cloud/wait-for-job.js';
import type { WorkflowControl } from '../../src/deployments/engine/workflow-control.js';
import { createInstanceSecrets } from '../../src/deployments/model/instance-secrets.js';
import { createOperatorService } from '../../src/operators/actions/operator-service.js';
import { meterCloud } from '../../src/operators/metrics/metered-cloud.js';
import { createMetrics } from '../../src/operators/metrics/metrics.js';
import { listAudit } from '../../src/operators/queries/audit.js';
import { scanSweep } from '../../src/operators/queries/sweep.js';
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database.js';
import { Permanent } from '../../src/platform/errors.js';
import { createIds } from '../../src/platform/ids.js';
import { createSecretScrubber, createSilentLogger } from '../../src/platform/logger.js';
import { createSecretBox } from '../../src/platform/secrets.js';
import { defaultImageId } from '../../src/simulator/cloud/catalog.js';
import { type CloudFixture, startCloudFixture } from '../support/cloud-sim.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { seedInstance, seedOperation } from './support/seed.js';

/**
 * The sweep against the cloud simulator through the real adapter (fake clock: cloud waits take
 * no real time), and the cloud metrics decorator on the same calls.
 */
let f: CloudFixture;
let testDb: TestDatabase;
let database: DatabaseHandle;
let metrics: ReturnType<typeof createMetrics>;
let cloud: CloudApi;

/** No DBOS here: the sweep never touches workflows. */
const noWorkflows: WorkflowControl = {
  listSteps: async () => [],
  rewind: async () => {
    throw new Error('not used');
  },
  close: async () => {},
};

async function provision(instanceId: string, n: number, withServer: boolean) {
  const tags = kgdTags({ instanceId, orderId: `ORD-${instanceId}` });
  const vpc = await cloud.ensureVpc({ name: `kgd-${instanceId}`, cidr: '192.168.0.0/16', tags });
  const subnet = await cloud.ensureSubnet({
    vpcId: vpc.id,
    name: `kgd-${instanceId}`,
    cidr: `192.168.${n}.0/24`,
    gatewayIp: `192.168.${n}.1`,
    az: 'cn-north-4a',
    tags,
  });
  const sg = await cloud.ensureSecurityGroup({
    name: `kgd-${instanceId}`,
    tags,
    rules: [{ direction: 'ingress', protocol: 'tcp', ports: '22', remoteIpPrefix: '0.0.0.0/0' }],
  });
  if (!withServer) return;
  const { jobId } = await cloud.createServer({
    clientToken: clientToken({ instanceId, operationId: 'op_1', step: 'create-server' }),
    name: `kgd-${instanceId}`,
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
  });
  await waitForJob(cloud, jobId, { clock: f.clock, timeoutMs: 30 * 60_000 });
}

beforeAll(async () => {
  f = await startCloudFixture();
  testDb = await createTestDatabase('kgd_ops_sweep');
  database = await openDatabase({ url: testDb.url, poolSize: 4, logger: createSilentLogger() });
  metrics = createMetrics({ registry: new Registry(), db: database.db });
  cloud = meterCloud(f.cloud, metrics);
  await seedInstance(database.db, 'kgi-live', { status: 'ready' });
  await seedInstance(database.db, 'kgi-released', { status: 'released' });
  await seedInstance(database.db, 'kgi-failed', { status: 'failed' });
  await seedOperation(database.db, 'op_live', 'kgi-live', { status: 'running' });
  await provision('kgi-live', 1, true);
  await provision('kgi-released', 2, false);
  await provision('kgi-failed', 3, true);
  await provision('kgi-ghost', 4, true);
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
  await f?.stop();
});

describe('sweep', () => {
  it('lists resources of released, failed and unknown instances, never of live ones', async () => {
    const found = await scanSweep({ db: database.db, cloud });
    expect(found.map((c) => [c.instanceId, c.why])).toEqual([
      ['kgi-failed', 'failed'],
      ['kgi-ghost', 'unknown'],
      ['kgi-released', 'released'],
    ]);
    const ghost = found.find((c) => c.instanceId === 'kgi-ghost')!;
    expect(ghost.servers).toHaveLength(1);
    expect(ghost.securityGroups).toHaveLength(1);
    expect(ghost.subnets).toHaveLength(1);
    expect(ghost.vpcs).toHaveLength(1);
    expect(found.find((c) => c.instanceId === 'kgi-released')!.servers).toEqual([]);
  });

  it('deletes them in reverse order (servers with EIPs first), audited; live resources stay', async () => {
    const service = createOperatorService({
      db: database.db,
      clock: f.clock,
      ids: createIds(f.clock),
      secrets: createInstanceSecrets(createSecretBox(randomBytes(32)), createSecretScrubber()),
      workflows: noWorkflows,
      cloud,
    });
    await expect(service.sweepDelete({ reason: ' ', actor: 'ops-bob' })).rejects.toThrow(
      'reason: required',
    );
    const only = await service.sweepDelete({
      reason: 'leftover of a crash',
      actor: 'ops-bob',
      instanceIds: ['kgi-ghost'],
    });
    expect(only).toEqual([{ instanceId: 'kgi-ghost', deleted: 4, error: null }]);
    const rest = await service.sweepDelete({ reason: 'monthly sweep', actor: 'ops-bob' });
    expect(rest.map((r) => [r.instanceId, r.deleted, r.error])).toEqual([
      ['kgi-failed', 4, null],
      ['kgi-released', 3, null],
    ]);
    expect(await scanSweep({ db: database.db, cloud })).toEqual([]);
    const inv = f.sim.inspect();
    expect(inv.servers.map((s) => s.tags['kgd-instance'])).toEqual(['kgi-live']);
    expect(inv.vpcs).toHaveLength(1);
    expect(inv.orphans).toEqual([]);
    const audit = await listAudit(database.db, { action: 'sweep.delete' }, f.clock.now());
    expect(audit.map((a) => [a.target, a.actor, a.reason, a.result])).toEqual([
      ['kgi-released', 'ops-bob', 'monthly sweep', 'ok'],
      ['kgi-failed', 'ops-bob', 'monthly sweep', 'ok'],
      ['kgi-ghost', 'ops-bob', 'leftover of a crash', 'ok'],
    ]);
    expect(audit[2]!.before).toMatchObject({ instanceId: 'kgi-ghost', why: 'unknown' });
    expect(audit[2]!.after).toEqual({ deleted: 4 });
  });
});

describe('metrics', () => {
  it('counts cloud calls by operation and error code, and reads state gauges from the database', async () => {
    f.sim.faults.setQuotas({ vpcs: 0 });
    const err = await cloud
      .ensureVpc({ name: 'kgd-q', cidr: '10.0.0.0/16', tags: kgdTags({ instanceId: 'kgi-q' }) })
      .catch((e) => e);
    expect(err).toBeInstanceOf(Permanent);
    f.sim.faults.clear();
    metrics.onAnswered({
      protocol: 'v1',
      activity: 'newInstance',
      resultCode: '000000',
      durationMs: 42,
      test: false,
    });
    // A probe (testFlag=1) is counted apart, never as a buyer's call.
    metrics.onAnswered({
      protocol: 'v2',
      activity: 'refreshInstance',
      resultCode: '000000',
      durationMs: 5,
      test: true,
    });
    metrics.onStep({ kind: 'deploy', step: 'create-server', durationMs: 1200, ok: false });
    metrics.onAlert('deployment-late');
    metrics.ssh('exec', true, 30);
    const text = await metrics.registry.metrics();
    expect(text).toContain(`kgd_cloud_calls_total{operation="ensureVpc",code="${err.code}"} 1`);
    expect(text).toMatch(/kgd_cloud_calls_total\{operation="createServer",code="ok"\} 3/);
    expect(text).toMatch(/kgd_cloud_call_seconds_count\{operation="deleteServers"\} \d+/);
    expect(text).toContain(
      'kgd_marketplace_calls_total{protocol="v1",activity="newInstance",result_code="000000"} 1',
    );
    expect(text).toContain(
      'kgd_marketplace_test_calls_total{protocol="v2",activity="refreshInstance",result_code="000000"} 1',
    );
    expect(text).not.toContain('kgd_marketplace_calls_total{protocol="v2"');
    expect(text).toContain(
      'kgd_step_attempts_total{kind="deploy",step="create-server",result="error"} 1',
    );
    expect(text).toContain(
      'kgd_step_duration_seconds_bucket{le="5",kind="deploy",step="create-server"} 1',
    );
    expect(text).toContain('kgd_deadline_alerts_total 1');
    expect(text).toContain('kgd_alerts_total{kind="deployment-late"} 1');
    expect(text).toContain('kgd_ssh_seconds_count{action="exec",result="ok"} 1');
    expect(text).toContain('kgd_queue_depth{status="running"} 1');
    expect(text).toContain('kgd_queue_depth{status="pending"} 0');
    expect(text).toContain('kgd_operations{kind="deploy",status="running"} 1');
    expect(text).toContain('kgd_deployments{status="failed"} 1');
  });
});
