import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core';
import { EcsClient } from '@huaweicloud/huaweicloud-sdk-ecs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  defaultImageId,
  huaweiCloudFor,
  type SimulatorHandle,
  startSimulator,
} from '../../test/support/cloud-sim.js';

/** The SDK traps of huawei-cloud.md §0, each shown to exist and shown handled. */
let sim: SimulatorHandle;
let home: string;
const realHome = process.env.HOME;
const secretPass = 'Trap-Secret-Pass-77';

beforeAll(async () => {
  sim = await startSimulator({
    timeScale: 0,
    latency: { apiMs: [0, 0] },
    quotas: { instances: 0 },
  });
});
afterAll(() => sim.stop());
afterEach(() => {
  process.env.HOME = realHome;
  if (home) rmSync(home, { recursive: true, force: true });
});

/** Collects (and swallows) what is written to stdout while `fn` runs. */
function captureStdout<T>(fn: () => Promise<T>): Promise<{ out: string; result: T | undefined }> {
  const chunks: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
    return true;
  }) as typeof process.stdout.write;
  return fn()
    .then((result) => ({ result, out: chunks.join('') }))
    .catch(() => ({ result: undefined, out: chunks.join('') }))
    .finally(() => {
      process.stdout.write = write;
    });
}

const rawClient = (options: { customUserAgent?: string }) =>
  EcsClient.newBuilder()
    .withCredential(
      new BasicCredentials().withAk(sim.ak).withSk(sim.sk).withProjectId(sim.projectId),
    )
    .withEndpoint(sim.endpoint)
    .withOptions(options)
    .build();

const failingCreate = (client: EcsClient) =>
  client.createPostPaidServers({
    body: {
      server: {
        name: 'x',
        imageRef: defaultImageId,
        flavorRef: 's6.small.1',
        vpcid: 'v',
        nics: [{ subnet_id: 's' }],
        root_volume: { volumetype: 'SSD' },
        adminPass: secretPass,
      },
    },
  } as never);

const adapterCreate = {
  clientToken: '3f0e6a52-8a5b-4c41-9a54-000000000001',
  name: 'kgd-trap',
  imageId: defaultImageId,
  flavor: 's6.small.1',
  vpcId: 'v',
  subnetId: 's',
  securityGroupIds: [],
  adminPass: secretPass,
  rootVolume: { type: 'SSD', sizeGb: 40 },
  tags: {},
};

describe('SDK logging', () => {
  it('left alone, prints the Authorization header and the password of a failed request to stdout', async () => {
    // Restore the configuration the SDK installs at load time, to show what is being silenced.
    const coreEntry = createRequire(import.meta.url).resolve('@huaweicloud/huaweicloud-sdk-core');
    const log4js = createRequire(coreEntry)('log4js') as { configure(c: unknown): void };
    log4js.configure({
      appenders: { console: { type: 'stdout', layout: { type: 'basic' } } },
      categories: { default: { appenders: ['console'], level: 'debug' } },
    });
    const { out } = await captureStdout(() =>
      failingCreate(rawClient({ customUserAgent: 'kgd-test' })),
    );
    expect(out).toContain('SDK-HMAC-SHA256');
    expect(out).toContain(secretPass);
  });

  it('through the adapter, prints nothing about a failed request', async () => {
    const cloud = huaweiCloudFor(sim);
    const { out } = await captureStdout(async () => {
      await failingCreate(rawClient({ customUserAgent: 'kgd-test' })).catch(() => undefined);
      await cloud.getServer('missing');
      // A failed request through the adapter (quota 0: Ecs.0001), logged by nobody.
      return cloud.createServer(adapterCreate).catch(() => undefined);
    });
    expect(out).not.toContain('SDK-HMAC-SHA256');
    expect(out).not.toContain(secretPass);
    expect(out).not.toContain(sim.sk);
    expect(out).toBe('');
  });
});

describe('user agent file', () => {
  it('the default user agent writes ~/.huaweicloud/application_id; the adapter leaves HOME clean', async () => {
    home = mkdtempSync(path.join(tmpdir(), 'kgd-home-'));
    process.env.HOME = home;
    rawClient({});
    expect(existsSync(path.join(home, '.huaweicloud', 'application_id'))).toBe(true);
    rmSync(path.join(home, '.huaweicloud'), { recursive: true });

    const cloud = huaweiCloudFor(sim);
    await cloud.findServersByTag('kgd-instance', 'kgi-1');
    expect(existsSync(path.join(home, '.huaweicloud'))).toBe(false);
  });
});

describe('typed getters', () => {
  it('are undefined at run time: the wire names carry the data', async () => {
    const resp = (await rawClient({ customUserAgent: 'kgd-test' }).showServerLimits(
      {} as never,
    )) as unknown as {
      absolute?: { maxTotalInstances?: number };
      httpStatusCode?: number;
    };
    expect(resp.httpStatusCode).toBe(200);
    expect(resp.absolute?.maxTotalInstances).toBe(0);
    const job = await rawClient({ customUserAgent: 'kgd-test' })
      .showJob({ job_id: 'nope' } as never)
      .catch((e) => e);
    expect(job.httpStatusCode).toBe(404);
  });
});
