import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../test/support/fakes/manual-clock.js';
import { signRequest } from '../platform/apig-signing.js';
import { createSilentLogger } from '../platform/logger.js';
import { type SimulatorHandle, startSimulator } from '../simulator/server.js';
import { fromHuaweiSdk } from './huawei-adapter.js';
import { parseHuaweiCloudSettings } from './huawei-settings.js';

/** Signature tampering: the simulator refuses as the gateway does, the adapter says what to check. */
let sim: SimulatorHandle;
beforeAll(async () => {
  sim = await startSimulator({ timeScale: 0, latency: { apiMs: [0, 0] } });
});
afterAll(() => sim.stop());

const adapter = (over: { ak?: string; sk?: string; projectId?: string }) =>
  fromHuaweiSdk({
    settings: parseHuaweiCloudSettings({
      region: sim.region,
      projectId: over.projectId ?? sim.projectId,
      ak: over.ak ?? sim.ak,
      sk: over.sk ?? sim.sk,
      endpoint: sim.endpoint,
      timeoutMs: 2000,
    }),
    logger: createSilentLogger(),
    sleep: async () => {},
  });

describe('through the SDK', () => {
  it('accepts the right credentials', async () => {
    expect((await adapter({}).getQuotas()).instances.max).toBeGreaterThan(0);
  });

  it.each([
    ['a wrong SK', { sk: 'not-the-secret-key' }],
    ['an unknown AK', { ak: 'UNKNOWNAKUNKNOWNAK00' }],
    ['another project id', { projectId: '0123456789abcdef0123456789abcdef' }],
  ])('refuses %s: 401 APIGW.0301, permanent, not retried', async (_what, over) => {
    const before = sim.inspect().stats['ecs.limits']?.calls ?? 0;
    const err = await adapter(over)
      .getQuotas()
      .catch((e) => e);
    expect(err).toMatchObject({ kind: 'permanent', code: 'APIGW.0301', httpStatus: 401 });
    expect(err.message).toMatch(
      /KGD_CLOUD_AK \/ KGD_CLOUD_SK, the project id and the machine clock/,
    );
    expect(sim.inspect().stats['ecs.limits']?.calls ?? 0).toBe(before);
  });

  it('refuses a date more than 15 minutes off (APIGW.0303)', async () => {
    const ahead = createManualClock({ start: new Date(Date.now() + 20 * 60_000) });
    const skewed = await startSimulator({
      authClock: ahead,
      timeScale: 0,
      latency: { apiMs: [0, 0] },
    });
    try {
      const cloud = fromHuaweiSdk({
        settings: parseHuaweiCloudSettings({
          region: skewed.region,
          projectId: skewed.projectId,
          ak: skewed.ak,
          sk: skewed.sk,
          endpoint: skewed.endpoint,
        }),
        logger: createSilentLogger(),
        sleep: async () => {},
      });
      await expect(cloud.getServer('x')).rejects.toMatchObject({
        kind: 'permanent',
        code: 'APIGW.0303',
      });
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
