import { afterEach, describe, expect, it } from 'vitest';
import { simClient } from '../../../test/support/sim-cloud-client.js';
import { waitFor } from '../../../test/support/wait-for.js';
import { type SimulatorHandle, startSimulator } from '../server.js';
import { defaultImageId } from './catalog.js';
import { createRecordingHosts, type RecordingHosts } from './recording-hosts.js';

/** The /sim/ control and inspection API, and lifecycles driven by real timers. */
let sim: SimulatorHandle | undefined;
let hosts: RecordingHosts | undefined;
afterEach(async () => {
  await sim?.stop();
  await hosts?.close();
  sim = undefined;
});

const json = async (res: Response) => ({
  status: res.status,
  body: (await res.json()) as Record<string, unknown>,
});

async function network(api: ReturnType<typeof simClient>, instance: string | undefined) {
  const tags = instance ? ['kgd-managed*true', `kgd-instance*${instance}`] : [];
  const vpc = (
    await api.post('/v1/{pid}/vpcs', { vpc: { name: `v-${instance}`, cidr: '10.0.0.0/16', tags } })
  ).body.vpc;
  await waitFor('VPC OK', () => sim!.inspect().vpcs.every((v) => v.status === 'OK'), {
    timeoutMs: 2000,
  });
  const subnet = (
    await api.post('/v1/{pid}/subnets', {
      subnet: {
        name: `s-${instance}`,
        cidr: '10.0.1.0/24',
        gateway_ip: '10.0.1.1',
        vpc_id: vpc.id,
        tags,
      },
    })
  ).body.subnet;
  await waitFor('subnet ACTIVE', () => sim!.inspect().subnets.every((s) => s.status === 'ACTIVE'), {
    timeoutMs: 2000,
  });
  return { vpc, subnet };
}

describe('real time', () => {
  it('moves lifecycles by timers at a small time scale: the machine starts without anyone asking', async () => {
    hosts = createRecordingHosts();
    sim = await startSimulator({ timeScale: 0.002, hosts, latency: { apiMs: [0, 0] } });
    const api = simClient(sim);
    const { vpc, subnet } = await network(api, 'kgi-1');
    sim.registerKeypair('ops', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKgd ops@example');
    sim.registerImage({
      id: 'private-image-1',
      name: 'seller image',
      filesDir: '/srv/images/seller',
    });
    const created = await api.post('/v1/{pid}/cloudservers', {
      server: {
        name: 'w',
        imageRef: 'private-image-1',
        flavorRef: 's6.small.1',
        vpcid: vpc.id,
        nics: [{ subnet_id: subnet.id }],
        root_volume: { volumetype: 'SSD' },
        key_name: 'ops',
        publicip: { eip: { iptype: '5_bgp', bandwidth: { size: 1, sharetype: 'PER' } } },
      },
    });
    expect(created.status).toBe(200);
    await waitFor('the host to start', () => hosts!.calls.some((c) => c.op === 'start'), {
      timeoutMs: 5000,
    });
    const start = hosts.calls.find((c) => c.op === 'start');
    expect(start?.op === 'start' && start.spec).toMatchObject({
      image: { id: 'private-image-1', filesDir: '/srv/images/seller' },
      authorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKgd ops@example'],
    });
    expect(start?.op === 'start' && start.spec.bootDelayMs).toBeLessThan(100);
  });
});

describe('/sim API', () => {
  it('reports inventory with orphans given the live instances', async () => {
    sim = await startSimulator({ timeScale: 0, latency: { apiMs: [0, 0] } });
    const api = simClient(sim);
    await network(api, 'kgi-live');
    const other = await api.post('/v1/{pid}/vpcs', {
      vpc: {
        name: 'gone',
        cidr: '172.16.0.0/16',
        tags: ['kgd-managed*true', 'kgd-instance*kgi-gone'],
      },
    });
    await api.post('/v1/{pid}/vpcs', { vpc: { name: 'handmade', cidr: '172.17.0.0/16' } });
    const inv = await json(await fetch(`${sim.endpoint}/sim/inventory?live=kgi-live`));
    expect(inv.status).toBe(200);
    const orphans = inv.body.orphans as Array<{
      type: string;
      name: string;
      reason: string;
      instanceId?: string;
    }>;
    expect(orphans.map((o) => [o.type, o.name, o.reason]).sort()).toEqual([
      ['vpc', 'gone', 'instance-not-live'],
      ['vpc', 'handmade', 'untagged'],
    ]);
    expect(orphans.find((o) => o.name === 'gone')?.instanceId).toBe('kgi-gone');
    expect((inv.body.vpcs as unknown[]).length).toBe(3);
    expect(other.status).toBe(200);
    // Without a live list, nothing tagged is judged.
    expect(sim.inspect().orphans.map((o) => o.reason)).toEqual(['untagged']);
  });

  it('sets, shows and clears faults; refuses a bad spec naming the field', async () => {
    sim = await startSimulator({ timeScale: 0, latency: { apiMs: [0, 0] } });
    const api = simClient(sim);
    const set = await json(
      await fetch(`${sim.endpoint}/sim/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          scripts: { 'vpc.listVpcs': [{ kind: 'server-error', status: 503 }, null] },
          rules: [{ api: 'ecs.*', fault: { kind: 'throttle' }, rate: 1, times: 1 }],
          soldOut: [{ az: 'cn-north-4b' }],
          quotas: { instances: 3 },
          rateLimits: { 'vpc.showVpc': 100 },
        }),
      }),
    );
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({
      soldOut: [{ az: 'cn-north-4b' }],
      quotas: { instances: 3 },
      rateLimits: { 'vpc.showVpc': 100 },
    });
    expect((await api.get('/v1/{pid}/vpcs')).status).toBe(503);
    expect((await api.get('/v1/{pid}/vpcs')).status).toBe(200);
    const throttled = await api.get('/v1/{pid}/cloudservers/limits');
    expect([throttled.status, throttled.body.error_code]).toEqual([429, 'APIGW.0308']);
    expect((await api.get('/v1/{pid}/cloudservers/limits')).body.absolute.maxTotalInstances).toBe(
      3,
    );

    const bad = await json(
      await fetch(`${sim.endpoint}/sim/faults`, {
        method: 'POST',
        body: JSON.stringify({ rules: [{ api: 'x', fault: { kind: 'explode' } }] }),
      }),
    );
    expect(bad.status).toBe(400);
    expect(String(bad.body.error)).toMatch(/rules\.0\.fault/);

    const cleared = await json(await fetch(`${sim.endpoint}/sim/faults`, { method: 'DELETE' }));
    expect(cleared.body).toMatchObject({ rules: [], soldOut: [], v3Available: true });
  });

  it('resets every resource and destroys the machines', async () => {
    hosts = createRecordingHosts();
    sim = await startSimulator({ timeScale: 0, hosts, latency: { apiMs: [0, 0] } });
    const api = simClient(sim);
    const { vpc, subnet } = await network(api, 'kgi-r');
    const created = await api.post('/v1/{pid}/cloudservers', {
      server: {
        name: 'w',
        imageRef: defaultImageId,
        flavorRef: 's6.small.1',
        vpcid: vpc.id,
        nics: [{ subnet_id: subnet.id }],
        root_volume: { volumetype: 'SSD' },
        publicip: { eip: { iptype: '5_bgp', bandwidth: { size: 1, sharetype: 'PER' } } },
      },
    });
    await waitFor('ACTIVE', () => sim!.inspect().servers[0]?.status === 'ACTIVE', {
      timeoutMs: 2000,
    });
    expect((await json(await fetch(`${sim.endpoint}/sim/reset`, { method: 'POST' }))).body).toEqual(
      { ok: true },
    );
    const inv = sim.inspect();
    expect([inv.servers, inv.vpcs, inv.subnets, inv.eips]).toEqual([[], [], [], []]);
    expect(hosts.callsFor(created.body.serverIds[0]).map((c) => c.op)).toEqual([
      'start',
      'destroy',
    ]);
  });

  it('registers images and keypairs over HTTP, validating them', async () => {
    sim = await startSimulator({ timeScale: 0 });
    const post = (path: string, body: unknown) =>
      fetch(`${sim!.endpoint}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then(json);
    expect((await post('/sim/images', { id: 'img-x', name: 'x', filesDir: '/tmp/x' })).status).toBe(
      201,
    );
    expect((await post('/sim/images', { id: 'bad id!', name: 'x' })).body.error).toMatch(/^id:/);
    expect(
      (await post('/sim/keypairs', { name: 'k', publicKey: 'ssh-ed25519 AAAA k' })).status,
    ).toBe(201);
    expect((await post('/sim/keypairs', { name: 'k', publicKey: 'nope' })).body.error).toMatch(
      /publicKey/,
    );
  });

  it('answers unknown APIs as the gateway does', async () => {
    sim = await startSimulator({ timeScale: 0 });
    const r = await simClient(sim).get('/v2/{pid}/nothing');
    expect([r.status, r.body.error_code]).toEqual([404, 'APIGW.0101']);
  });
});
