import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientToken } from '../../src/cloud/client-token.js';
import { fromHuaweiSdk } from '../../src/cloud/huawei-adapter.js';
import { parseHuaweiCloudSettings } from '../../src/cloud/huawei-settings.js';
import { kgdTags } from '../../src/cloud/tags.js';
import { waitForJob } from '../../src/cloud/wait-for-job.js';
import { systemClock } from '../../src/platform/clock.js';
import { createSilentLogger } from '../../src/platform/logger.js';
import { fromSsh2 } from '../../src/remote/from-ssh2.js';
import { defaultImageId } from '../../src/simulator/cloud/catalog.js';
import { createSimulatedHosts } from '../../src/simulator/hosts/create-simulated-hosts.js';
import type { SimulatedHosts } from '../../src/simulator/hosts/simulated-hosts.js';
import { type SimulatorHandle, startSimulator } from '../../src/simulator/server.js';
import { waitForTestSsh } from '../support/sim-hosts.js';
import { waitFor } from '../support/wait-for.js';

/**
 * End to end on the cloud side: the adapter creates a server in the simulator, whose real SSH host
 * then answers on the EIP with the admin password, and stops answering when the server stops.
 * Needs root (the hosts use Linux namespaces), as CI has.
 */
const sshPort = 2222;
const isRoot = process.getuid?.() === 0;
let dataDir: string;
let hosts: SimulatedHosts;
let sim: SimulatorHandle;

beforeAll(async () => {
  if (!isRoot) return;
  dataDir = await mkdtemp(path.join(tmpdir(), 'kgd-cloud-hosts-'));
  hosts = createSimulatedHosts({ dataDir, sshPort, logger: createSilentLogger() });
  // Its own EIP range, away from the hosts' own tests running in parallel.
  sim = await startSimulator({
    hosts,
    timeScale: 0.002,
    eipPool: '127.23.0.0/24',
    latency: { apiMs: [0, 0] },
  });
});
afterAll(async () => {
  if (!isRoot) return;
  await sim?.stop();
  await hosts?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe.skipIf(!isRoot)('cloud simulator with the real SSH hosts', () => {
  it('creates a server the adapter can reach over SSH, then stops and deletes it', async () => {
    const cloud = fromHuaweiSdk({
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
    const tags = kgdTags({ instanceId: 'kgi-e2e' });
    const vpc = await cloud.ensureVpc({ name: 'kgd-kgi-e2e', cidr: '192.168.0.0/16', tags });
    const subnet = await cloud.ensureSubnet({
      vpcId: vpc.id,
      name: 'kgd-kgi-e2e',
      cidr: '192.168.0.0/24',
      gatewayIp: '192.168.0.1',
      tags,
    });
    const sg = await cloud.ensureSecurityGroup({
      name: 'kgd-kgi-e2e',
      tags,
      rules: [{ direction: 'ingress', protocol: 'tcp', ports: '22', remoteIpPrefix: '0.0.0.0/0' }],
    });
    const password = 'E2e-Admin-Pass-1';
    const { jobId } = await cloud.createServer({
      clientToken: clientToken({ instanceId: 'kgi-e2e', operationId: 'op', step: 'create-server' }),
      name: 'kgd-kgi-e2e',
      imageId: defaultImageId,
      flavor: 's6.small.1',
      vpcId: vpc.id,
      subnetId: subnet.id,
      securityGroupIds: [sg.id],
      adminPass: password,
      rootVolume: { type: 'SSD', sizeGb: 40 },
      eip: { bandwidthMb: 1 },
      tags,
      userData: '#!/bin/sh\necho provisioned > /root/user-data-ran\n',
    });
    const wait = (id: string) => waitForJob(cloud, id, { clock: systemClock, timeoutMs: 30_000 });
    const job = await wait(jobId);
    const server = (await cloud.getServer(job.serverIds[0]!))!;
    const eip = server.floatingIps[0]!;
    expect(eip).toMatch(/^127\.23\.0\.\d+$/);

    const remote = fromSsh2({ logger: createSilentLogger() });
    const target = { host: eip, port: sshPort, username: 'root', password, readyTimeoutMs: 5000 };
    const session = await waitForTestSsh(remote, target, 20_000);
    const run = await session.exec('hostname; cat /root/user-data-ran');
    expect(run).toMatchObject({ exitCode: 0, stdout: 'kgd-kgi-e2e\nprovisioned\n' });
    await session.close();

    await wait((await cloud.stopServers([server.id])).jobId);
    await sim.settled();
    expect(hosts.describe(server.id).state).toBe('stopped');
    await expect(remote.connect(target)).rejects.toMatchObject({ name: 'SshUnreachable' });

    const deletion = await cloud.deleteServers([server.id], {
      deletePublicIp: true,
      deleteVolume: true,
    });
    await wait(deletion.jobId!);
    await waitFor('the machine to be destroyed', async () => {
      await sim.settled();
      return hosts.describe(server.id).state === 'absent';
    });
  });
});
