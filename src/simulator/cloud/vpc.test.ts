import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock, type ManualClock } from '../../../test/support/fakes/manual-clock.js';
import { simClient } from '../../../test/support/sim-cloud-client.js';
import { type SimulatorHandle, startSimulator } from '../server.js';
import { defaultImageId } from './catalog.js';

/** VPC v1, the v2.0 tag APIs and VPC v3, as the wire sees them. */
let sim: SimulatorHandle;
let clock: ManualClock;
let api: ReturnType<typeof simClient>;

beforeEach(async () => {
  clock = createManualClock({ start: new Date('2026-04-01T00:00:00Z') });
  sim = await startSimulator({ clock, seed: 5, latency: { apiMs: [0, 0] } });
  api = simClient(sim);
});
afterEach(() => sim.stop());

async function vpcAndSubnet() {
  const vpc = (
    await api.post('/v1/{pid}/vpcs', {
      vpc: { name: 'v', cidr: '10.0.0.0/16', tags: ['kgd-managed*true', 'kgd-instance*kgi-9'] },
    })
  ).body.vpc;
  clock.advance(5000);
  const subnet = (
    await api.post('/v1/{pid}/subnets', {
      subnet: { name: 's', cidr: '10.0.1.0/24', gateway_ip: '10.0.1.1', vpc_id: vpc.id },
    })
  ).body.subnet;
  clock.advance(10_000);
  return { vpc, subnet };
}

describe('VPCs and subnets', () => {
  it('VPC CREATING → OK; a subnet waits for it (VPC.0004), then UNKNOWN → ACTIVE', async () => {
    const vpc = (await api.post('/v1/{pid}/vpcs', { vpc: { name: 'v', cidr: '10.0.0.0/16' } })).body
      .vpc;
    expect(vpc.status).toBe('CREATING');
    const early = await api.post('/v1/{pid}/subnets', {
      subnet: { name: 's', cidr: '10.0.1.0/24', gateway_ip: '10.0.1.1', vpc_id: vpc.id },
    });
    expect([early.status, early.body]).toEqual([
      400,
      { code: 'VPC.0004', message: 'VPC is not active, please try later.' },
    ]);
    clock.advance(5000);
    expect((await api.get(`/v1/{pid}/vpcs/${vpc.id}`)).body.vpc.status).toBe('OK');
    const subnet = (
      await api.post('/v1/{pid}/subnets', {
        subnet: { name: 's', cidr: '10.0.1.0/24', gateway_ip: '10.0.1.1', vpc_id: vpc.id },
      })
    ).body.subnet;
    expect(subnet.status).toBe('UNKNOWN');
    clock.advance(10_000);
    expect((await api.get(`/v1/{pid}/subnets/${subnet.id}`)).body.subnet.status).toBe('ACTIVE');
  });

  it('refuses bad CIDRs, overlaps and gateways outside the subnet, naming them', async () => {
    const { vpc } = await vpcAndSubnet();
    const post = (subnet: Record<string, unknown>) =>
      api.post('/v1/{pid}/subnets', { subnet: { name: 'x', vpc_id: vpc.id, ...subnet } });
    expect((await post({ cidr: '10.1.0.0/24', gateway_ip: '10.1.0.1' })).body.message).toMatch(
      /not inside the VPC/,
    );
    expect((await post({ cidr: '10.0.1.0/25', gateway_ip: '10.0.1.1' })).body.message).toMatch(
      /overlaps subnet/,
    );
    expect((await post({ cidr: '10.0.2.0/24', gateway_ip: '10.0.3.1' })).body.message).toMatch(
      /gateway_ip/,
    );
    expect((await api.post('/v1/{pid}/vpcs', { vpc: { cidr: '8.8.0.0/16' } })).body.code).toBe(
      'VPC.0101',
    );
    expect((await api.get('/v1/{pid}/vpcs/nope')).body).toEqual({
      code: 'VPC.0003',
      message: 'VPC does not exist.',
    });
  });

  it('answers 409 while a VPC holds subnets or a subnet holds ports', async () => {
    const { vpc, subnet } = await vpcAndSubnet();
    expect((await api.del(`/v1/{pid}/vpcs/${vpc.id}`)).status).toBe(409);
    const created = await api.post('/v1/{pid}/cloudservers', {
      server: {
        name: 'w',
        imageRef: defaultImageId,
        flavorRef: 's6.small.1',
        vpcid: vpc.id,
        nics: [{ subnet_id: subnet.id }],
        root_volume: { volumetype: 'SSD' },
      },
    });
    expect(created.status).toBe(200);
    const inUse = await api.del(`/v1/{pid}/vpcs/${vpc.id}/subnets/${subnet.id}`);
    expect([inUse.status, inUse.body.code]).toEqual([500, 'VPC.0209']);
    await api.post('/v1/{pid}/cloudservers/delete', {
      servers: [{ id: created.body.serverIds[0] }],
      delete_volume: true,
    });
    clock.advance(20_000);
    // The delete job is done, but the server's port is released seconds to minutes later.
    expect((await api.del(`/v1/{pid}/vpcs/${vpc.id}/subnets/${subnet.id}`)).status).toBe(500);
    clock.advance(40_000);
    expect((await api.del(`/v1/{pid}/vpcs/${vpc.id}/subnets/${subnet.id}`)).status).toBe(204);
    // Asynchronous: still there for a while; a repeated DELETE answers 400; the VPC waits (409).
    expect((await api.get(`/v1/{pid}/subnets/${subnet.id}`)).status).toBe(200);
    expect((await api.del(`/v1/{pid}/vpcs/${vpc.id}/subnets/${subnet.id}`)).status).toBe(400);
    const busy = await api.del(`/v1/{pid}/vpcs/${vpc.id}`);
    expect([busy.status, busy.body.code]).toEqual([409, 'VPC.0104']);
    clock.advance(8_000);
    expect((await api.get(`/v1/{pid}/subnets/${subnet.id}`)).status).toBe(404);
    expect((await api.del(`/v1/{pid}/vpcs/${vpc.id}`)).status).toBe(204);
    expect((await api.get(`/v1/{pid}/vpcs/${vpc.id}`)).status).toBe(200);
    clock.advance(5_000);
    expect((await api.get(`/v1/{pid}/vpcs/${vpc.id}`)).status).toBe(404);
  });

  it('VPC quota answers 409 VPC.0114', async () => {
    sim.faults.setQuotas({ vpcs: 0 });
    const r = await api.post('/v1/{pid}/vpcs', { vpc: { name: 'v', cidr: '10.0.0.0/16' } });
    expect([r.status, r.body.code]).toEqual([409, 'VPC.0114']);
  });
});

describe('tags', () => {
  it('filters by tags (keys ANDed, values ORed) and name, and tags resources', async () => {
    const { vpc, subnet } = await vpcAndSubnet();
    const filter = (body: Record<string, unknown>) =>
      api.post('/v2.0/{pid}/vpcs/resource_instances/action', { action: 'filter', ...body });
    expect(
      (
        await filter({
          tags: [
            { key: 'kgd-instance', values: ['kgi-9', 'kgi-8'] },
            { key: 'kgd-managed', values: [] },
          ],
        })
      ).body.resources,
    ).toEqual([
      {
        resource_id: vpc.id,
        resource_name: 'v',
        resource_detail: '',
        tags: [
          { key: 'kgd-managed', value: 'true' },
          { key: 'kgd-instance', value: 'kgi-9' },
        ],
      },
    ]);
    expect(
      (await filter({ tags: [{ key: 'kgd-instance', values: ['kgi-8'] }] })).body.resources,
    ).toEqual([]);
    expect(
      (await filter({ matches: [{ key: 'resource_name', value: 'nomatch' }] })).body.total_count,
    ).toBe(0);
    const count = await api.post('/v2.0/{pid}/vpcs/resource_instances/action', { action: 'count' });
    expect(count.body).toEqual({ total_count: 1 });
    expect(
      (
        await api.post(`/v2.0/{pid}/subnets/${subnet.id}/tags/action`, {
          action: 'create',
          tags: [{ key: 'a', value: 'b' }],
        })
      ).status,
    ).toBe(204);
    expect((await api.get(`/v2.0/{pid}/subnets/${subnet.id}/tags`)).body.tags).toEqual([
      { key: 'a', value: 'b' },
    ]);
    const bad = await api.post(`/v2.0/{pid}/subnets/${subnet.id}/tags/action`, {
      action: 'create',
      tags: [{ key: 'a b', value: 'c' }],
    });
    expect([bad.status, bad.body.code]).toEqual([400, 'VPC.1801']);
    expect(bad.body.message).toMatch(/Invalid tag key: "a b"/);
  });
});

describe('security groups', () => {
  it('v3 creates with tags and default rules, adds multiport rules, refuses duplicates', async () => {
    const sg = await api.post('/v3/{pid}/vpc/security-groups', {
      security_group: { name: 'g', tags: [{ key: 'k', value: 'v' }] },
    });
    expect(sg.status).toBe(201);
    expect(sg.body.security_group.security_group_rules).toHaveLength(4);
    const rule = {
      security_group_id: sg.body.security_group.id,
      direction: 'ingress',
      protocol: 'tcp',
      multiport: '22,80-81',
      remote_ip_prefix: '0.0.0.0/0',
    };
    const r1 = await api.post('/v3/{pid}/vpc/security-group-rules', { security_group_rule: rule });
    expect([r1.status, r1.body.security_group_rule.multiport]).toEqual([201, '22,80-81']);
    const dup = await api.post('/v3/{pid}/vpc/security-group-rules', { security_group_rule: rule });
    expect([dup.status, dup.body.error_code]).toEqual([409, 'VPC.0204']);
    const badPorts = await api.post('/v3/{pid}/vpc/security-group-rules', {
      security_group_rule: { ...rule, multiport: '22,99999' },
    });
    expect([badPorts.status, badPorts.body.error_code]).toEqual([400, 'VPC.0101']);
    expect(badPorts.body.error_msg).toMatch(/multiport.*99999/);
    const listed = await api.get(`/v3/{pid}/vpc/security-groups?name=g`);
    expect(listed.body.security_groups[0].tags).toEqual([{ key: 'k', value: 'v' }]);
    // The same group through v2: one range per rule.
    const v2 = await api.get(
      `/v1/{pid}/security-group-rules?security_group_id=${sg.body.security_group.id}`,
    );
    expect(v2.body.security_group_rules).toHaveLength(5);
  });

  it('refuses to delete a group still used by a server (409)', async () => {
    const { vpc, subnet } = await vpcAndSubnet();
    const sg = (await api.post('/v1/{pid}/security-groups', { security_group: { name: 'g2' } }))
      .body.security_group;
    await api.post('/v1/{pid}/cloudservers', {
      server: {
        name: 'w',
        imageRef: defaultImageId,
        flavorRef: 's6.small.1',
        vpcid: vpc.id,
        nics: [{ subnet_id: subnet.id }],
        root_volume: { volumetype: 'SSD' },
        security_groups: [{ id: sg.id }],
      },
    });
    expect((await api.del(`/v1/{pid}/security-groups/${sg.id}`)).status).toBe(409);
    expect((await api.del(`/v3/{pid}/vpc/security-groups/${sg.id}`)).status).toBe(409);
  });

  it('answers 404 APIGW.0101 to every v3 call when v3 is switched off', async () => {
    sim.faults.apply({ v3Available: false });
    const r = await api.post('/v3/{pid}/vpc/security-groups', { security_group: { name: 'g' } });
    expect([r.status, r.body.error_code]).toEqual([404, 'APIGW.0101']);
    expect((await api.get('/v3/{pid}/vpc/security-group-rules')).status).toBe(404);
    expect(
      (await api.post('/v1/{pid}/security-groups', { security_group: { name: 'g' } })).status,
    ).toBe(200);
  });
});
