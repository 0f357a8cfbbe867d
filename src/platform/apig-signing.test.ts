import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core';
import { EcsClient } from '@huaweicloud/huaweicloud-sdk-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  formatSdkDate,
  parseSdkDate,
  type SignableRequest,
  signRequest,
  verifyRequest,
} from './apig-signing.js';

const AK = 'SIMAKEXAMPLE0000';
const SK = 'sim-secret-key-for-tests-only-0001';
const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';

interface Captured extends SignableRequest {}

let captured: Captured[] = [];
let endpoint = '';
const server = createServer((req: IncomingMessage, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    captured.push({
      method: req.method!,
      url: `${endpoint}${req.url}`,
      headers,
      body: Buffer.concat(chunks),
    });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ count: 0, servers: [], job_id: 'j' }));
  });
});

function sdkClient() {
  return EcsClient.newBuilder()
    .withCredential(new BasicCredentials().withAk(AK).withSk(SK).withProjectId(PROJECT))
    .withEndpoint(endpoint)
    .withOptions({ customUserAgent: 'kgd-test' })
    .build();
}

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('SDK-HMAC-SHA256 against the official SDK', () => {
  it('verifies a GET with a query string and a POST with a body signed by the SDK', async () => {
    captured = [];
    const client = sdkClient();
    await client.listServersDetails({
      name: 'kgd a/b',
      tags: 'kgd-instance=kgi-1',
      limit: 50,
    } as never);
    await client.createPostPaidServers({
      body: {
        server: {
          name: 'x',
          imageRef: 'img',
          flavorRef: 's6.small.1',
          vpcid: 'v',
          nics: [{ subnet_id: 's' }],
          root_volume: { volumetype: 'SSD' },
        },
      },
    } as never);
    expect(captured).toHaveLength(2);
    for (const req of captured) {
      const at = parseSdkDate(req.headers['x-sdk-date']!)!;
      const result = verifyRequest(req, (ak) => (ak === AK ? SK : undefined), at);
      expect(result).toEqual({ ok: true, ak: AK });
    }
  });

  it('produces the same Authorization as the SDK for the same headers', async () => {
    captured = [];
    await sdkClient().listServersDetails({ name: 'web-01', limit: 10, offset: 2 } as never);
    const req = captured[0]!;
    const sdkAuth = req.headers.authorization!;
    const signedNames = /SignedHeaders=([^,]+)/.exec(sdkAuth)![1]!.split(';');
    const toSign: Record<string, string> = {};
    for (const n of signedNames) toSign[n] = req.headers[n]!;
    const ours = signRequest({ ...req, headers: toSign }, { ak: AK, sk: SK }, new Date());
    expect(ours.authorization).toBe(sdkAuth);
  });

  it('refuses tampering, unknown keys and stale dates', async () => {
    captured = [];
    await sdkClient().listServersDetails({ limit: 1 } as never);
    const req = captured[0]!;
    const at = parseSdkDate(req.headers['x-sdk-date']!)!;
    const lookup = (ak: string) => (ak === AK ? SK : undefined);
    expect(
      verifyRequest({ ...req, url: req.url.replace('limit=1', 'limit=2') }, lookup, at),
    ).toMatchObject({ ok: false, code: 'APIGW.0301' });
    expect(
      verifyRequest({ ...req, headers: { ...req.headers, 'x-project-id': 'other' } }, lookup, at),
    ).toMatchObject({ ok: false });
    expect(verifyRequest(req, () => undefined, at)).toMatchObject({
      ok: false,
      code: 'APIGW.0301',
    });
    expect(verifyRequest(req, () => 'wrong-secret', at)).toMatchObject({
      ok: false,
      code: 'APIGW.0301',
    });
    expect(verifyRequest(req, lookup, new Date(at.getTime() + 16 * 60_000))).toMatchObject({
      ok: false,
      code: 'APIGW.0303',
    });
    expect(
      verifyRequest({ ...req, headers: { ...req.headers, authorization: 'Bearer x' } }, lookup, at),
    ).toMatchObject({ ok: false });
  });

  it('round-trips its own signatures, body included', () => {
    const now = new Date('2026-11-23T12:00:00Z');
    const req = {
      method: 'POST',
      url: 'https://mkt.example.com/api/x?b=2&a=1&a=0',
      headers: { 'content-type': 'application/json' },
      body: '{"k":"v"}',
    };
    const headers = signRequest(req, { ak: AK, sk: SK }, now);
    expect(headers['x-sdk-date']).toBe(formatSdkDate(now));
    expect(verifyRequest({ ...req, headers }, () => SK, now)).toEqual({ ok: true, ak: AK });
    expect(verifyRequest({ ...req, headers, body: '{"k":"w"}' }, () => SK, now).ok).toBe(false);
  });
});
