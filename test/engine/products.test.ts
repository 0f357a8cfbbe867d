import { cpSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngineHarness, type EngineHarness } from '../support/engine-harness.js';
import { makeTemplates } from '../support/templates.js';
import { waitFor } from '../support/wait-for.js';

let h: EngineHarness;
// The simulated servers' EIPs are loopback: a product installing onto a buyer's server here must
// admit them explicitly (and look the buyer's server id up), as demo-license does not.
const templates = makeTemplates([
  {
    name: 'lab-own-server',
    productIds: ['OFFI-LAB-OWN-SERVER'],
    patch: { existingServer: { allowCidrs: ['127.0.0.0/8'], serverIdLookup: true } },
  },
]);
cpSync(path.resolve('templates/demo-image'), path.join(templates.dir, 'demo-image'), {
  recursive: true,
});
beforeAll(async () => {
  h = await createEngineHarness({ templatesDir: templates.dir });
});
afterAll(async () => {
  await h?.close();
  templates.cleanup();
});

const extend = (params: Record<string, string>) =>
  Buffer.from(
    JSON.stringify(Object.entries(params).map(([name, value]) => ({ name, value }))),
  ).toString('base64');

describe('an image product', () => {
  it('creates the server from the private image, applies first boot and the license, and runs its lifecycle', async () => {
    const id = await h.buy({ productId: 'OFFI-DEMO-IMAGE', skuCode: 'standard' });
    const inst = await h.waitForStatus(id, 'ready');
    expect(inst.flavor).toBe('s6.medium.2');
    const server = h.sim.inspect().servers.find((s) => s.tags['kgd-instance'] === id)!;
    expect(server.imageId).toBe('img-kgd-demo-image-cn-north-4');
    const page = await (await fetch(inst.front_end_url!)).text();
    expect(page).toContain('Acme Buyer');
    expect((await h.v1({ activity: 'expireInstance', instanceId: id })).resultCode).toBe('000000');
    await h.waitForStatus(id, 'frozen');
    await expect(
      fetch(inst.front_end_url!, { signal: AbortSignal.timeout(3000) }),
    ).rejects.toThrow();
    expect((await h.v1({ activity: 'releaseInstance', instanceId: id })).resultCode).toBe('000000');
    await h.waitForStatus(id, 'released');
    expect(h.sim.inspect().servers.filter((s) => s.tags['kgd-instance'] === id)).toEqual([]);
  });
});

describe("a License product onto the buyer's own server", () => {
  it('installs over SSH with the password the buyer gave, and leaves the server to the buyer at release', async () => {
    const cloud = h.service.adapters.cloud;
    const tags = { owner: 'buyer' };
    const vpc = await cloud.ensureVpc({ name: 'buyer-vpc', cidr: '10.8.0.0/16', tags });
    const subnet = await cloud.ensureSubnet({
      vpcId: vpc.id,
      name: 'buyer-subnet',
      cidr: '10.8.1.0/24',
      gatewayIp: '10.8.1.1',
      tags,
    });
    const sg = await cloud.ensureSecurityGroup({
      name: 'buyer-sg',
      tags,
      rules: [
        { direction: 'ingress', protocol: 'tcp', ports: '22,8080', remoteIpPrefix: '0.0.0.0/0' },
      ],
    });
    const password = 'Buyer-Owned-2026x';
    const { jobId } = await cloud.createServer({
      clientToken: '11111111-2222-4333-8444-555555555555',
      name: 'buyer-ecs',
      imageId: '1a2b3c4d-0001-4000-8000-000000002204',
      flavor: 's6.small.1',
      vpcId: vpc.id,
      subnetId: subnet.id,
      securityGroupIds: [sg.id],
      adminPass: password,
      rootVolume: { type: 'SSD', sizeGb: 40 },
      eip: { bandwidthMb: 1 },
      tags,
    });
    const serverId = await waitFor('the buyer server job', async () => {
      const job = await cloud.getJob(jobId);
      return job.status === 'SUCCESS' ? job.serverIds[0] : undefined;
    });
    const eip = await waitFor('the buyer server to be ACTIVE', async () => {
      const s = await cloud.getServer(serverId!);
      return s?.status === 'ACTIVE' && s.floatingIps[0] ? s.floatingIps[0] : undefined;
    });

    const id = await h.buy({
      productId: 'OFFI-LAB-OWN-SERVER',
      saasExtendParams: extend({ serverIp: eip, serverPassword: password, ecsId: serverId! }),
    });
    const inst = await h.waitForStatus(id, 'ready');
    expect(inst.eip).toBe(eip);
    expect(inst.front_end_url).toBe(`http://${eip}:8080/`);
    expect(await (await fetch(inst.front_end_url!)).text()).toContain('Acme Buyer');
    const created = h.sim.inspect().servers.filter((s) => s.tags['kgd-instance'] === id);
    expect(created).toEqual([]); // no server of ours

    expect((await h.v1({ activity: 'releaseInstance', instanceId: id })).resultCode).toBe('000000');
    await h.waitForStatus(id, 'released');
    const buyer = await cloud.getServer(serverId!);
    expect(buyer?.status).toBe('ACTIVE'); // the buyer's server is the buyer's
    await expect(
      fetch(inst.front_end_url!, { signal: AbortSignal.timeout(3000) }),
    ).rejects.toThrow(); // uninstalled
  });
});
