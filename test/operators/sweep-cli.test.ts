import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientToken } from '../../src/cloud/client-token.js';
import type { CloudApi } from '../../src/cloud/cloud-api.js';
import { fromHuaweiSdk } from '../../src/cloud/huawei-adapter.js';
import { parseHuaweiCloudSettings } from '../../src/cloud/huawei-settings.js';
import { kgdTags } from '../../src/cloud/tags.js';
import { systemClock } from '../../src/platform/clock.js';
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database.js';
import { createSilentLogger } from '../../src/platform/logger.js';
import { defaultImageId } from '../../src/simulator/cloud/catalog.js';
import { type SimulatorHandle, startSimulator } from '../../src/simulator/server.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { kgd } from './support/cli-run.js';
import { seedInstance } from './support/seed.js';

/**
 * `kgd sweep` as an operator runs it against a separate cloud (here a `kgd simulator`-style
 * simulator, with KGD_CLOUD_ENDPOINT and its AK/SK): it lists, asks for "yes" on a terminal,
 * deletes, and audits.
 */
let sim: SimulatorHandle;
let cloud: CloudApi;
let testDb: TestDatabase;
let database: DatabaseHandle;
let dir: string;
let env: Record<string, string>;

async function provision(instanceId: string, n: number) {
  const tags = kgdTags({ instanceId });
  const vpc = await cloud.ensureVpc({ name: `kgd-${instanceId}`, cidr: '192.168.0.0/16', tags });
  const subnet = await cloud.ensureSubnet({
    vpcId: vpc.id,
    name: `kgd-${instanceId}`,
    cidr: `192.168.${n}.0/24`,
    gatewayIp: `192.168.${n}.1`,
    az: 'cn-north-4a',
    tags,
  });
  const sg = await cloud.ensureSecurityGroup({ name: `kgd-${instanceId}`, tags, rules: [] });
  await cloud.createServer({
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
}

beforeAll(async () => {
  // Immediate jobs on the real clock: the CLI waits for them as it would for the real cloud.
  sim = await startSimulator({ timeScale: 0, latency: { apiMs: [0, 0] }, seed: 3 });
  cloud = fromHuaweiSdk({
    settings: parseHuaweiCloudSettings({
      region: sim.region,
      projectId: sim.projectId,
      ak: sim.ak,
      sk: sim.sk,
      endpoint: sim.endpoint,
    }),
    logger: createSilentLogger(),
    clock: systemClock,
  });
  testDb = await createTestDatabase('kgd_ops_sweep_cli');
  database = await openDatabase({ url: testDb.url, poolSize: 2, logger: createSilentLogger() });
  await seedInstance(database.db, 'kgi-live', { status: 'ready' });
  await provision('kgi-live', 1);
  await provision('kgi-ghost', 2);
  dir = mkdtempSync(path.join(tmpdir(), 'kgd-sweep-cli-'));
  env = {
    DATABASE_URL: testDb.url,
    KGD_MASTER_KEY: randomBytes(32).toString('base64'),
    KGD_MARKETPLACE_KEYS: 'sweep-cli-key',
    KGD_DATA_DIR: path.join(dir, 'data'),
    KGD_CLOUD_AK: sim.ak,
    KGD_CLOUD_SK: sim.sk,
    KGD_CLOUD_PROJECT_ID: sim.projectId,
    KGD_CLOUD_REGION: sim.region,
    KGD_CLOUD_ENDPOINT: sim.endpoint,
  };
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
  await sim?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const instances = () =>
  sim
    .inspect()
    .servers.map((s) => s.tags['kgd-instance'])
    .sort();

describe('kgd sweep against a separate cloud', () => {
  it('lists the unknown instance, not the live one', async () => {
    const r = await kgd(env, ['sweep']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/kgi-ghost\s+unknown/);
    expect(r.stdout).not.toContain('kgi-live');
    expect(r.stdout).toContain('kgd sweep --delete');
  });

  it('asks for "yes" on a terminal; anything else deletes nothing (exit 1)', async () => {
    const r = await kgd(env, ['sweep', '--delete'], { tty: true, stdin: 'y\n' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Type yes to delete 4 resource(s) of 1 deployment(s)');
    expect(r.stderr).toContain('nothing deleted');
    expect(instances()).toEqual(['kgi-ghost', 'kgi-live']);
  });

  it('deletes after "yes", audited; the live deployment keeps its resources', async () => {
    const r = await kgd(env, ['sweep', '--delete', '--reason', 'crash leftovers'], {
      tty: true,
      stdin: 'yes\n',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('kgi-ghost: 4 deleted');
    expect(instances()).toEqual(['kgi-live']);
    expect(sim.inspect().vpcs).toHaveLength(1);
    expect(JSON.parse((await kgd(env, ['sweep', '--json'])).stdout)).toEqual([]);
    const audit = JSON.parse((await kgd(env, ['audit', 'list', '--json'])).stdout);
    expect(audit[0]).toMatchObject({
      action: 'sweep.delete',
      target: 'kgi-ghost',
      actor: `cli:${userInfo().username}`,
      reason: 'crash leftovers',
      result: 'ok',
    });
  });
});
