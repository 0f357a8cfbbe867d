import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock, type ManualClock } from '../../../test/support/fakes/manual-clock.js';
import { simClient } from '../../../test/support/sim-cloud-client.js';
import { type SimulatorHandle, startSimulator } from '../server.js';

/**
 * IAM v3 agencies and assume_role as the wire sees them (huawei-iam-agency.md §1–5): the buyer
 * creates the agency and grants it a custom policy through the IAM API, the seller assumes it,
 * and the temporary keys work in the buyer's project only, within the policy, until expiry.
 */
let sim: SimulatorHandle;
let clock: ManualClock;
let buyer: ReturnType<typeof startBuyer>;

function startBuyer() {
  const account = sim.accounts.create({ name: 'acme', regions: ['cn-north-4', 'cn-east-3'] });
  const north = account.projects.find((p) => p.region === 'cn-north-4')!.id;
  const east = account.projects.find((p) => p.region === 'cn-east-3')!.id;
  return { ...account, north, east, api: simClient({ ...sim, ...account, projectId: north }) };
}

const seller = () => simClient(sim);

async function agencyWithPolicy(actions: string[], projectIds: string[]) {
  const created = await buyer.api.post('/v3.0/OS-AGENCY/agencies', {
    agency: { name: 'kgd-deployer', domain_id: buyer.domainId, trust_domain_name: 'kgd-seller' },
  });
  expect(created.status).toBe(201);
  const role = await buyer.api.post('/v3.0/OS-ROLE/roles', {
    role: {
      display_name: 'kgd-deployer-policy',
      type: 'XA',
      policy: { Version: '1.1', Statement: [{ Effect: 'Allow', Action: actions }] },
    },
  });
  expect(role.status).toBe(201);
  for (const pid of projectIds) {
    const granted = await buyer.api.put(
      `/v3.0/OS-AGENCY/projects/${pid}/agencies/${created.body.agency.id}/roles/${role.body.role.id}`,
      undefined,
    );
    expect(granted.status).toBe(204);
  }
  return created.body.agency;
}

const assume = (over: Record<string, unknown> = {}) =>
  seller().post('/v3.0/OS-CREDENTIAL/securitytokens', {
    auth: {
      identity: {
        methods: ['assume_role'],
        assume_role: {
          agency_name: 'kgd-deployer',
          domain_id: buyer.domainId,
          duration_seconds: 900,
          ...over,
        },
      },
    },
  });

function asAgency(
  credential: { access: string; secret: string; securitytoken: string },
  projectId: string,
) {
  const api = simClient({
    endpoint: sim.endpoint,
    ak: credential.access,
    sk: credential.secret,
    projectId,
  });
  const token = { 'x-security-token': credential.securitytoken };
  return {
    get: (path: string, headers = token) => api.get(path.replace('{pid}', projectId), headers),
    post: (path: string, body: unknown, headers = token) => api.post(path, body, headers),
  };
}

beforeEach(async () => {
  clock = createManualClock({ start: new Date('2026-04-01T00:00:00Z') });
  sim = await startSimulator({ clock, seed: 5, latency: { apiMs: [0, 0] } });
  buyer = startBuyer();
});
afterEach(() => sim.stop());

describe('IAM agencies and assume_role', () => {
  it('hands out temporary keys that act in the buyer project, within the policy, until expiry', async () => {
    await agencyWithPolicy(['vpc:vpcs:*'], [buyer.north]);
    const answer = await assume();
    expect(answer.status).toBe(201);
    const c = answer.body.credential;
    expect(c.expires_at).toBe('2026-04-01T00:15:00.000000Z');
    const agency = asAgency(c, buyer.north);

    const vpc = await agency.post(`/v1/${buyer.north}/vpcs`, {
      vpc: { name: 'b', cidr: '10.0.0.0/16' },
    });
    expect(vpc.status).toBe(200);
    expect(sim.accounts.inspect(buyer.domainId, 'cn-north-4')?.vpcs).toHaveLength(1);
    expect(sim.inspect().vpcs).toHaveLength(0);
    expect((await seller().get('/v1/{pid}/vpcs')).body.vpcs).toEqual([]);

    // Outside the policy: the service's 403 names the action.
    const denied = await agency.post(`/v1/${buyer.north}/security-groups`, {
      security_group: { name: 'g' },
    });
    expect(denied.status).toBe(403);
    expect(denied.body).toEqual({
      code: 'VPC.2201',
      message: "Policy doesn't allow vpc:securityGroups:create to be performed.",
    });
    // Another region's project, not granted.
    const east = await asAgency(c, buyer.east).get('/v1/{pid}/vpcs');
    expect(east.status).toBe(403);
    // The seller's project is not the buyer's.
    expect((await asAgency(c, sim.projectId).get('/v1/{pid}/vpcs')).body.error_code).toBe(
      'APIGW.0301',
    );
    // The token is required, and signed.
    expect((await agency.get('/v1/{pid}/vpcs', {} as never)).status).toBe(401);

    clock.advance(15 * 60_000);
    const expired = await agency.get('/v1/{pid}/vpcs');
    expect(expired.status).toBe(401);
    expect(expired.body.error_code).toBe('APIGW.0301');
    expect(expired.body.error_msg).toMatch(/token expires/);
  });

  it('refuses with keystone bodies: agency absent, not trusted, no Agent Operator, expired agency', async () => {
    expect((await assume()).body).toEqual({
      error: { code: 404, message: 'Could not find agency: kgd-deployer', title: 'Not Found' },
    });
    sim.accounts.create({ name: 'other-seller' });
    const other = await buyer.api.post('/v3.0/OS-AGENCY/agencies', {
      agency: {
        name: 'kgd-deployer',
        domain_id: buyer.domainId,
        trust_domain_name: 'other-seller',
      },
    });
    const notTrusted = await assume();
    expect(notTrusted.status).toBe(403);
    expect(notTrusted.body.error.message).toMatch(/does not trust/);
    expect((await buyer.api.del(`/v3.0/OS-AGENCY/agencies/${other.body.agency.id}`)).status).toBe(
      204,
    );

    await buyer.api.post('/v3.0/OS-AGENCY/agencies', {
      agency: {
        name: 'kgd-deployer',
        domain_id: buyer.domainId,
        trust_domain_name: 'kgd-seller',
        duration: 'ONEDAY',
      },
    });
    const user = sim.accounts.addUser(sim.domainId, 'robot', false);
    const noRole = await simClient({ ...sim, ...user }).post('/v3.0/OS-CREDENTIAL/securitytokens', {
      auth: {
        identity: {
          methods: ['assume_role'],
          assume_role: { agency_name: 'kgd-deployer', domain_id: buyer.domainId },
        },
      },
    });
    expect(noRole.status).toBe(403);
    expect(noRole.body.error.message).toMatch(/Agent Operator/);
    expect((await assume({ duration_seconds: 60 })).status).toBe(400);
    expect((await assume()).status).toBe(201);
    clock.advance(86_400_000);
    expect((await assume()).body.error.message).toMatch(/has expired/);
  });

  it('lists projects for discovery; agencies may not list or create them through /v3/projects', async () => {
    await agencyWithPolicy(['vpc:vpcs:*'], [buyer.north]);
    const c = (await assume()).body.credential;
    const agency = asAgency(c, buyer.north);
    const auth = await agency.get('/v3/auth/projects');
    expect(auth.status).toBe(200);
    expect(auth.body.projects.map((p: { name: string }) => p.name).sort()).toEqual([
      'cn-east-3',
      'cn-north-4',
    ]);
    expect((await agency.get('/v3/projects?name=cn-north-4')).status).toBe(403);
    expect((await agency.post('/v3/projects', { project: { name: 'cn-north-4_x' } })).status).toBe(
      403,
    );
    const own = await buyer.api.get('/v3/projects?name=cn-east-3');
    expect(own.body.projects).toEqual([
      expect.objectContaining({ id: buyer.east, name: 'cn-east-3' }),
    ]);
  });

  it("deleting the agency takes its keys' permissions away at once, or at their expiry when so configured", async () => {
    const agencyRecord = await agencyWithPolicy(['vpc:vpcs:*'], [buyer.north]);
    const agency = asAgency((await assume()).body.credential, buyer.north);
    expect((await agency.get('/v1/{pid}/vpcs')).status).toBe(200);
    expect((await buyer.api.del(`/v3.0/OS-AGENCY/agencies/${agencyRecord.id}`)).status).toBe(204);
    expect((await agency.get('/v1/{pid}/vpcs')).status).toBe(403);

    await sim.stop();
    sim = await startSimulator({
      clock,
      agencyRevocation: 'at-expiry',
      latency: { apiMs: [0, 0] },
    });
    buyer = startBuyer();
    const kept = await agencyWithPolicy(['vpc:vpcs:*'], [buyer.north]);
    const lingering = asAgency((await assume()).body.credential, buyer.north);
    expect((await buyer.api.del(`/v3.0/OS-AGENCY/agencies/${kept.id}`)).status).toBe(204);
    expect((await lingering.get('/v1/{pid}/vpcs')).status).toBe(200);
    expect((await assume()).status).toBe(404);
    clock.advance(15 * 60_000);
    expect((await lingering.get('/v1/{pid}/vpcs')).status).toBe(401);
  });
});
