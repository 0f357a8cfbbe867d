import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  huaweiCloudFor,
  type SimulatorHandle,
  startSimulator,
} from '../../test/support/cloud-sim.js';
import { createManualClock } from '../../test/support/fakes/manual-clock.js';
import { signRequest } from '../platform/apig-signing.js';
import { Permanent } from '../platform/errors.js';

/** Signature tampering: the simulator refuses as the gateway does, the adapter says what to check. */
let sim: SimulatorHandle;
beforeAll(async () => {
  sim = await startSimulator({ timeScale: 0, latency: { apiMs: [0, 0] } });
});
afterAll(() => sim.stop());

// Refusals are permanent, so nothing here sleeps: the system clock is never waited on.
const adapter = (over: { ak?: string; sk?: string; projectId?: string }) =>
  huaweiCloudFor(sim, { settings: over });

describe('through the SDK', () => {
  it('accepts the right credentials', async () => {
    expect(await adapter({}).findServersByTag('kgd-instance', 'kgi-1')).toEqual([]);
  });

  it.each([
    ['a wrong SK', { sk: 'not-the-secret-key' }],
    ['an unknown AK', { ak: 'UNKNOWNAKUNKNOWNAK00' }],
    ['another project id', { projectId: '0123456789abcdef0123456789abcdef' }],
  ])('refuses %s: 401 APIGW.0301, permanent, not retried', async (_what, over) => {
    const before = sim.inspect().stats['ecs.listServers']?.calls ?? 0;
    const err = await adapter(over)
      .findServersByTag('kgd-instance', 'kgi-1')
      .catch((e) => e);
    expect(err).toBeInstanceOf(Permanent);
    expect(err).toMatchObject({ code: 'APIGW.0301', httpStatus: 401 });
    expect(err.message).toMatch(
      /KGD_CLOUD_AK \/ KGD_CLOUD_SK, the project id and the machine clock/,
    );
    expect(sim.inspect().stats['ecs.listServers']?.calls ?? 0).toBe(before);
  });

  it('refuses a date more than 15 minutes off (APIGW.0303)', async () => {
    const ahead = createManualClock({ start: new Date(Date.now() + 20 * 60_000) });
    const skewed = await startSimulator({
      authClock: ahead,
      timeScale: 0,
      latency: { apiMs: [0, 0] },
    });
    try {
      const cloud = huaweiCloudFor(skewed);
      const err = await cloud.getServer('x').catch((e) => e);
      expect(err).toBeInstanceOf(Permanent);
      expect(err).toMatchObject({ code: 'APIGW.0303' });
      ahead.set(new Date(Date.now() + 5 * 60_000));
      expect(await cloud.getServer('x')).toBeUndefined();
    } finally {
      await skewed.stop();
    }
  });
});

describe('raw requests', () => {
  const path = () => `/v1/${sim.projectId}/cloudservers/detail?limit=10&tags=kgd-instance%3Dkgi-1`;
  const signed = (method: string, url: string, body?: string, extra: Record<string, string> = {}) =>
    signRequest(
      {
        method,
        url,
        headers: { 'content-type': 'application/json', 'x-project-id': sim.projectId, ...extra },
        body,
      },
      { ak: sim.ak, sk: sim.sk },
      new Date(),
    );
  const status = async (
    method: string,
    url: string,
    headers: Record<string, string>,
    body?: string,
  ) => {
    const res = await fetch(url, { method, headers, body });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('answers a correctly signed request', async () => {
    const url = `${sim.endpoint}${path()}`;
    expect((await status('GET', url, signed('GET', url))).status).toBe(200);
  });

  it('refuses a changed query, path, body or signed header, and a missing signature', async () => {
    const url = `${sim.endpoint}${path()}`;
    const h = signed('GET', url);
    const cases: Array<[string, Promise<{ status: number; body: Record<string, unknown> }>]> = [
      ['query', status('GET', url.replace('limit=10', 'limit=11'), h)],
      ['path', status('GET', url.replace('/detail', '/limits'), h)],
      ['header', status('GET', url, { ...h, 'x-project-id': `${sim.projectId.slice(0, -1)}2` })],
      ['unsigned', status('GET', url, { 'x-project-id': sim.projectId })],
    ];
    const postUrl = `${sim.endpoint}/v1/${sim.projectId}/vpcs`;
    const body = JSON.stringify({ vpc: { name: 'a', cidr: '192.168.0.0/16' } });
    const ph = signed('POST', postUrl, body);
    cases.push(['body', status('POST', postUrl, ph, body.replace('"a"', '"b"'))]);
    for (const [what, result] of cases) {
      const r = await result;
      expect([what, r.status, r.body.error_code]).toEqual([what, 401, 'APIGW.0301']);
    }
    expect(sim.inspect().vpcs).toEqual([]);
  });
});
