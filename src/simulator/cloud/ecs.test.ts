import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock, type ManualClock } from '../../../test/support/fakes/manual-clock.js';
import { simClient } from '../../../test/support/sim-cloud-client.js';
import { type SimulatorHandle, startSimulator } from '../server.js';
import { defaultImageId } from './catalog.js';
import { createRecordingHosts, type RecordingHosts } from './recording-hosts.js';

/** ECS as the wire sees it: codes, bodies, lifecycles, client tokens. */
let sim: SimulatorHandle;
let clock: ManualClock;
let hosts: RecordingHosts;
let api: ReturnType<typeof simClient>;
let net: { vpcId: string; subnetId: string; sgId: string };

const token = '3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b';
const server = (over: Record<string, unknown> = {}) => ({
  server: {
    name: 'web-1',
    imageRef: defaultImageId,
    flavorRef: 's6.small.1',
    vpcid: net.vpcId,
    nics: [{ subnet_id: net.subnetId }],
    security_groups: [{ id: net.sgId }],
    availability_zone: 'cn-north-4a',
    root_volume: { volumetype: 'SSD', size: 40 },
    adminPass: 'Kgd-Pass-0001',
    publicip: {
      eip: { iptype: '5_bgp', bandwidth: { size: 5, sharetype: 'PER', chargemode: 'traffic' } },
      delete_on_termination: true,
    },
    server_tags: [{ key: 'kgd-managed', value: 'true' }],
    ...over,
  },
});

beforeEach(async () => {
  clock = createManualClock({ start: new Date('2026-04-01T00:00:00Z') });
  hosts = createRecordingHosts();
  sim = await startSimulator({ clock, hosts, seed: 11, latency: { apiMs: [0, 0] } });
  api = simClient(sim);
  const vpc = await api.post('/v1/{pid}/vpcs', { vpc: { name: 'v', cidr: '192.168.0.0/16' } });
  clock.advance(5000);
  const subnet = await api.post('/v1/{pid}/subnets', {
    subnet: {
      name: 's',
      cidr: '192.168.0.0/28',
      gateway_ip: '192.168.0.1',
      vpc_id: vpc.body.vpc.id,
    },
  });
  const sg = await api.post('/v3/{pid}/vpc/security-groups', { security_group: { name: 'g' } });
  clock.advance(10_000);
  net = {
    vpcId: vpc.body.vpc.id,
    subnetId: subnet.body.subnet.id,
    sgId: sg.body.security_group.id,
  };
});
afterEach(async () => {
  await sim.stop();
  await hosts.close();
});

describe('create', () => {
  it('runs the job INIT → RUNNING → SUCCESS while the server goes BUILD → ACTIVE', async () => {
    const created = await api.post('/v1/{pid}/cloudservers', server());
    expect(created.status).toBe(200);
    expect(created.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
    const { job_id: jobId, serverIds } = created.body;
    const job = async () => (await api.get(`/v1/{pid}/jobs/${jobId}`)).body;
    expect((await job()).status).toBe('INIT');
    expect((await api.get(`/v1/{pid}/cloudservers/${serverIds[0]}`)).body.server).toMatchObject({
      status: 'BUILD',
      'OS-EXT-STS:task_state': 'spawning',
    });
    clock.advance(3000);
    expect((await job()).status).toBe('RUNNING');
    clock.advance(60_000);
    const done = await job();
    expect(done).toMatchObject({
      status: 'SUCCESS',
      job_type: 'createServer',
      entities: { sub_jobs_total: 1 },
    });
    expect(done.entities.sub_jobs[0]).toMatchObject({
      status: 'SUCCESS',
      entities: { server_id: serverIds[0] },
    });
    const shown = (await api.get(`/v1/{pid}/cloudservers/${serverIds[0]}`)).body.server;
    expect(shown.status).toBe('ACTIVE');
    expect(shown.tags).toEqual(['kgd-managed=true']);
    expect(
      shown.addresses[net.vpcId].map((a: Record<string, string>) => a['OS-EXT-IPS:type']),
    ).toEqual(['fixed', 'floating']);
    await sim.settled();
    expect(hosts.calls.map((c) => c.op)).toEqual(['start']);
  });

  it('answers a replayed client token with the original job, and refuses misuse (Ecs.0122/0123/0124)', async () => {
    const first = await api.post('/v1/{pid}/cloudservers', server(), { 'X-Client-Token': token });
    const again = await api.post('/v1/{pid}/cloudservers', server(), { 'X-Client-Token': token });
    expect(again.body).toEqual(first.body);
    expect(sim.inspect().servers).toHaveLength(1);
    const other = await api.post('/v1/{pid}/cloudservers', server({ name: 'web-2' }), {
      'X-Client-Token': token,
    });
    expect([other.status, other.body.error.code]).toEqual([400, 'Ecs.0122']);
    const bad = await api.post('/v1/{pid}/cloudservers', server(), { 'X-Client-Token': 'abc' });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'Ecs.0123']);
    clock.advance(8 * 3_600_000 + 1);
    const late = await api.post('/v1/{pid}/cloudservers', server(), { 'X-Client-Token': token });
    expect([late.status, late.body.error.code]).toEqual([400, 'Ecs.0124']);
  });

  it('refuses bad requests naming the field, and checks a dry run without creating', async () => {
    const missing = await api.post('/v1/{pid}/cloudservers', { server: { name: 'x' } });
    expect([missing.status, missing.body.error.code]).toEqual([400, 'Ecs.0005']);
    expect(missing.body.error.message).toMatch(/server\.imageRef/);
    const az = await api.post(
      '/v1/{pid}/cloudservers',
      server({ availability_zone: 'cn-north-4z' }),
    );
    expect(az.body.error.message).toBe('availability_zone=cn-north-4z not exist');
    const pw = await api.post('/v1/{pid}/cloudservers', server({ adminPass: 'weak' }));
    expect(pw.body.error.code).toBe('Ecs.0011');
    const dry = await api.post('/v1/{pid}/cloudservers', { ...server(), dry_run: true });
    expect(dry.status).toBe(202);
    expect(sim.inspect().servers).toEqual([]);
  });

  it('enforces instance quota, EIP quota and subnet addresses', async () => {
    sim.faults.setQuotas({ publicIps: 0 });
    expect((await api.post('/v1/{pid}/cloudservers', server())).body.error.code).toBe('Ecs.0013');
    sim.faults.setQuotas({ publicIps: 50, instances: 1 });
    expect((await api.post('/v1/{pid}/cloudservers', server({ count: 2 }))).body.error.code).toBe(
      'Ecs.0001',
    );
    sim.faults.setQuotas({ instances: 50 });
    // A /28 holds 16 addresses: the network, the gateway and the last three are reserved.
    const many = await api.post('/v1/{pid}/cloudservers', server({ count: 11 }));
    expect(many.body.serverIds).toHaveLength(11);
    expect((await api.post('/v1/{pid}/cloudservers', server())).body.error.code).toBe('Ecs.0012');
  });

  it('answers v1.1 prepaid creates with an order id', async () => {
    const r = await api.post(
      '/v1.1/{pid}/cloudservers',
      server({ extendparam: { chargingMode: 'prePaid', isAutoPay: 'true' } }),
    );
    expect(r.body.order_id).toMatch(/^CS/);
    expect(r.body.serverIds).toHaveLength(1);
  });
});

describe('after create', () => {
  async function active() {
    const created = await api.post('/v1/{pid}/cloudservers', server());
    clock.advance(70_000);
    await api.get(`/v1/{pid}/jobs/${created.body.job_id}`);
    return created.body.serverIds[0] as string;
  }

  it('lists by tag and name with ECS page numbers', async () => {
    await api.post('/v1/{pid}/cloudservers', server({ count: 3 }));
    await api.post(
      '/v1/{pid}/cloudservers',
      server({ name: 'db-1', server_tags: [{ key: 'role', value: 'db' }] }),
    );
    const page1 = await api.get(
      '/v1/{pid}/cloudservers/detail?tags=kgd-managed%3Dtrue&limit=2&offset=1',
    );
    const page2 = await api.get(
      '/v1/{pid}/cloudservers/detail?tags=kgd-managed%3Dtrue&limit=2&offset=2',
    );
    expect(page1.body.count).toBe(3);
    expect([page1.body.servers.length, page2.body.servers.length]).toEqual([2, 1]);
    expect(
      (await api.get('/v1/{pid}/cloudservers/detail?name=db')).body.servers.map(
        (s: { name: string }) => s.name,
      ),
    ).toEqual(['db-1']);
  });

  it('deletes: 404 Ecs.0114 afterwards; EIP and disk released', async () => {
    const id = await active();
    const del = await api.post('/v1/{pid}/cloudservers/delete', {
      servers: [{ id }],
      delete_publicip: true,
      delete_volume: true,
    });
    expect(
      (await api.get(`/v1/{pid}/cloudservers/${id}`)).body.server['OS-EXT-STS:task_state'],
    ).toBe('deleting');
    clock.advance(25_000);
    // The job is done and the server DELETED, not gone: its port is released later (§5.4).
    expect((await api.get(`/v1/{pid}/jobs/${del.body.job_id}`)).body.status).toBe('SUCCESS');
    const deleted = await api.get(`/v1/{pid}/cloudservers/${id}`);
    expect([deleted.status, deleted.body.server.status]).toEqual([200, 'DELETED']);
    expect(sim.inspect().eips).toEqual([]);
    const listed = await api.get('/v1/{pid}/cloudservers/detail');
    expect(listed.body.servers.map((s: { status: string }) => s.status)).toEqual(['DELETED']);
    clock.advance(40_000 + 30_000);
    const gone = await api.get(`/v1/{pid}/cloudservers/${id}`);
    expect([gone.status, gone.body.error.code]).toEqual([404, 'Ecs.0114']);
    const again = await api.post('/v1/{pid}/cloudservers/delete', { servers: [{ id }] });
    expect(again.status).toBe(404);
    // Finished jobs are forgotten after about a day.
    clock.advance(25 * 3_600_000);
    expect((await api.get(`/v1/{pid}/jobs/${del.body.job_id}`)).status).toBe(404);
  });

  it('power actions on a server in the wrong state fail their sub-job', async () => {
    const id = await active();
    const start = await api.post('/v1/{pid}/cloudservers/action', {
      'os-start': { servers: [{ id }] },
    });
    const reboot1 = await api.post('/v1/{pid}/cloudservers/action', {
      'os-stop': { servers: [{ id }], type: 'HARD' },
    });
    const reboot2 = await api.post('/v1/{pid}/cloudservers/action', {
      reboot: { servers: [{ id }], type: 'SOFT' },
    });
    clock.advance(60_000);
    expect((await api.get(`/v1/{pid}/jobs/${start.body.job_id}`)).body.status).toBe('SUCCESS');
    expect((await api.get(`/v1/{pid}/jobs/${reboot1.body.job_id}`)).body.status).toBe('SUCCESS');
    const failed = (await api.get(`/v1/{pid}/jobs/${reboot2.body.job_id}`)).body;
    expect(failed.status).toBe('FAIL');
    expect(failed.fail_reason).toMatch(/cannot reboot/);
    expect((await api.get(`/v1/{pid}/cloudservers/${id}`)).body.server.status).toBe('SHUTOFF');
  });

  it('resize goes RESIZE → VERIFY_RESIZE → back, refusing the same flavor and a running server without withStopServer; reset password checks complexity', async () => {
    const id = await active();
    const same = await api.post(`/v1/{pid}/cloudservers/${id}/resize`, {
      resize: { flavorRef: 's6.small.1' },
    });
    expect(same.body.error.code).toBe('Ecs.0009');
    // A running server is resized only when stopped, or with mode withStopServer.
    const running = await api.post(`/v1.1/{pid}/cloudservers/${id}/resize`, {
      resize: { flavorRef: 'c7.large.2' },
    });
    expect([running.status, running.body.error.code]).toEqual([400, 'Ecs.0100']);
    expect(running.body.error.message).toMatch(/status does not meet requirements/);
    const job = await api.post(`/v1.1/{pid}/cloudservers/${id}/resize`, {
      resize: { flavorRef: 'c7.large.2', mode: 'withStopServer' },
    });
    expect((await api.get(`/v1/{pid}/cloudservers/${id}`)).body.server.status).toBe('RESIZE');
    clock.advance(100_000);
    const mid = (await api.get(`/v1/{pid}/cloudservers/${id}`)).body.server;
    expect(mid.status === 'VERIFY_RESIZE' || mid.status === 'ACTIVE').toBe(true);
    clock.advance(30_000);
    expect((await api.get(`/v1/{pid}/jobs/${job.body.job_id}`)).body.status).toBe('SUCCESS');
    expect((await api.get(`/v1/{pid}/cloudservers/${id}`)).body.server.flavor.id).toBe(
      'c7.large.2',
    );
    expect(
      (
        await api.put(`/v1/{pid}/cloudservers/${id}/os-reset-password`, {
          'reset-password': { new_password: 'abc' },
        })
      ).body.error.code,
    ).toBe('Ecs.0011');
    expect(
      (
        await api.put(`/v1/{pid}/cloudservers/${id}/os-reset-password`, {
          'reset-password': { new_password: 'Kgd-New-Pass-1' },
        })
      ).status,
    ).toBe(204);
    await sim.settled();
    expect(hosts.callsFor(id).map((c) => c.op)).toEqual(['start', 'reboot', 'setPassword']);
  });

  it('pushes new ingress to running machines when a group gains a rule', async () => {
    const id = await active();
    await api.post('/v3/{pid}/vpc/security-group-rules', {
      security_group_rule: {
        security_group_id: net.sgId,
        direction: 'ingress',
        protocol: 'tcp',
        multiport: '22,8080-8081',
        remote_ip_prefix: '0.0.0.0/0',
      },
    });
    await sim.settled();
    const last = hosts.callsFor(id).at(-1);
    expect(last?.op).toBe('setIngress');
    expect(last?.op === 'setIngress' && last.ingress).toEqual([
      { protocol: 'tcp', portMin: 22, portMax: 22, remoteIpPrefix: '0.0.0.0/0' },
      { protocol: 'tcp', portMin: 8080, portMax: 8081, remoteIpPrefix: '0.0.0.0/0' },
    ]);
  });

  it('refuses SSH after each boot when asked, and on demand', async () => {
    sim.faults.apply({ sshRefuseAfterBootMs: 30_000 });
    const id = await active();
    sim.faults.refuseSsh('*', 5000);
    await sim.settled();
    const refusals = hosts.calls.filter((c) => c.op === 'refuseSshUntil');
    expect(refusals.map((c) => 'serverId' in c && c.serverId)).toEqual([id, '*']);
  });
});
