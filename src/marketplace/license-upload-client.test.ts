import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../test/support/fakes/manual-clock.js';
import { type Permanent, Retryable } from '../platform/errors.js';
import { createLicenseUploadClient, LicenseUploadRefused } from './license-upload-client.js';

const AK = 'SELLERAK0000000001';
const SK = 'seller-secret-key-0001';
const clock = createManualClock({ start: new Date('2026-11-23T08:00:00Z') });
const text = 'KGD1.x.y\n';
const file = { name: 'license.lic', text, sha256: createHash('sha256').update(text).digest('hex') };

/** A fetch answering per host from a script; records the hosts asked and what they got. */
function scripted(answers: Record<string, Array<(() => Response) | 'down'>>) {
  const asked: Array<{ host: string; headers: Headers; body: string }> = [];
  const doFetch = (async (url: string | URL, init?: RequestInit) => {
    const u = new URL(String(url));
    asked.push({ host: u.origin, headers: new Headers(init?.headers), body: String(init?.body) });
    const next = answers[u.origin]?.shift();
    if (!next || next === 'down') throw new TypeError('fetch failed');
    return next();
  }) as typeof fetch;
  return { doFetch, asked };
}
const json = (status: number, code: string) => () =>
  new Response(JSON.stringify({ error_code: code, error_msg: 'm' }), { status });

const client = (doFetch: typeof fetch) =>
  createLicenseUploadClient({
    hosts: ['https://mkt.example.com', 'https://mkt.example.cn'],
    ak: AK,
    sk: SK,
    clock,
    timeoutMs: 1000,
    fetch: doFetch,
  });

describe('license upload client', () => {
  it('signs with AK/SK, leaves the multipart body unsigned, and sends both parts', async () => {
    const s = scripted({ 'https://mkt.example.com': [json(200, 'CBC.0000')] });
    expect(await client(s.doFetch).upload('EVT 1', file)).toEqual({
      code: 'CBC.0000',
      host: 'https://mkt.example.com',
    });
    const sent = s.asked[0]!;
    expect(sent.headers.get('authorization')).toMatch(
      /^SDK-HMAC-SHA256 Access=SELLERAK0000000001, SignedHeaders=content-type;host;x-sdk-content-sha256;x-sdk-date, Signature=[0-9a-f]{64}$/,
    );
    expect(sent.headers.get('x-sdk-content-sha256')).toBe('UNSIGNED-PAYLOAD');
    expect(sent.headers.get('content-type')).toMatch(/^multipart\/form-data; boundary=/);
    expect(sent.body).toContain('name="file"; filename="license.lic"');
    expect(sent.body).toContain(
      `{"type":"FILE","file_name":"license.lic","sha256":"${file.sha256}"}`,
    );
  });

  it('goes to the fallback host when the first does not answer or answers 5xx', async () => {
    const down = scripted({
      'https://mkt.example.com': ['down'],
      'https://mkt.example.cn': [json(200, 'CBC.0000')],
    });
    expect((await client(down.doFetch).upload('E1', file)).host).toBe('https://mkt.example.cn');
    const five = scripted({
      'https://mkt.example.com': [json(500, 'CBC.0999')],
      'https://mkt.example.cn': [json(500, 'CBC.0999')],
    });
    const err = await client(five.doFetch)
      .upload('E2', file)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Retryable);
    expect(five.asked.map((a) => a.host)).toEqual([
      'https://mkt.example.com',
      'https://mkt.example.cn',
    ]);
  });

  it('a code the marketplace answered stays with that host: transient Retryable, others refused', async () => {
    const inner = scripted({ 'https://mkt.example.com': [json(200, '91381036')] });
    expect(
      await client(inner.doFetch)
        .upload('E3', file)
        .catch((e: unknown) => e),
    ).toBeInstanceOf(Retryable);
    expect(inner.asked).toHaveLength(1);
    const auth = scripted({ 'https://mkt.example.com': [json(403, 'CBC.0150')] });
    const err = (await client(auth.doFetch)
      .upload('E4', file)
      .catch((e: unknown) => e)) as Permanent;
    expect(err).toBeInstanceOf(LicenseUploadRefused);
    expect(err.code).toBe('CBC.0150');
    expect(err.message).toMatch(/check KGD_CLOUD_AK/);
    expect(err.message).not.toContain(SK);
    expect(auth.asked).toHaveLength(1);
  });
});
