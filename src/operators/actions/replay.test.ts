import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { authenticate } from '../../marketplace/protocol/authenticate.js';
import { readCall } from '../../marketplace/protocol/read-call.js';
import { v1AuthToken, v2Signature } from '../../marketplace/protocol/signatures.js';
import type { InboxEntry } from '../../platform/db/schema.js';
import { createSecretBox } from '../../platform/secrets.js';
import { replayInboxEntry, resignedRequest } from './replay.js';

const key = 'replay-test-key-0001';
const then = new Date('2026-03-01T03:00:00.000Z');
const now = new Date('2026-03-01T05:00:00.000Z');
const url = 'http://kgd.test/koogallery/produce';
const auth = (call: Parameters<typeof authenticate>[0]) =>
  authenticate(call, { keys: ['old-key', key], now, v1MaxSkewMs: 300_000, v2MaxSkewMs: 60_000 });

function row(protocol: 'v1' | 'v2', over: Partial<InboxEntry> = {}): InboxEntry {
  return {
    id: '7',
    received_at: then,
    protocol,
    method: protocol === 'v1' ? 'GET' : 'POST',
    activity: 'newInstance',
    raw_sealed: '',
    parsed: null,
    idempotency_key: null,
    duplicate: false,
    instance_id: null,
    operation_id: null,
    test: false,
    key_index: 1,
    result_code: '000000',
    answer: '{"resultCode":"000000","resultMsg":"success","instanceId":"kgi-1"}',
    duration_ms: 3,
    answered_late: false,
    ...over,
  };
}

describe('resigned requests', () => {
  it('V1: same parameters, fresh timeStamp, an authToken the gateway accepts', async () => {
    const params: [string, string][] = [
      ['activity', 'newInstance'],
      ['orderId', 'CS 1&2'],
      ['saasExtendParams', 'W3sibmFtZSI6ImEiLCJ2YWx1ZSI6ImIrYy8ifV0='],
      ['timeStamp', '20260301030000000'],
    ];
    const raw = new URLSearchParams([
      ...params,
      ['authToken', v1AuthToken(key, params)],
    ]).toString();
    const req = resignedRequest(row('v1'), raw, key, now, url);
    const read = await readCall(req, 65536);
    if (!read.ok || read.call.protocol !== 'v1') throw new Error('not a V1 call');
    const p = Object.fromEntries(read.call.params);
    expect(p.orderId).toBe('CS 1&2');
    expect(p.saasExtendParams).toBe('W3sibmFtZSI6ImEiLCJ2YWx1ZSI6ImIrYy8ifV0=');
    expect(p.timeStamp).toBe('20260301050000000');
    expect(auth(read.call)).toMatchObject({ ok: true, keyIndex: 1 });
    // The original, two hours old, would be refused.
    const stale = await readCall(new Request(`${url}?${raw}`), 65536);
    if (!stale.ok) throw new Error('unreadable');
    expect(auth(stale.call)).toMatchObject({ ok: false });
  });

  it('V2: the same body bytes, a fresh timestamp and nonce, a signature the gateway accepts', async () => {
    const body =
      '{"activity":"newInstance","orderId":"CS1","orderLineId":"CS1-000001", "testFlag":"0"}';
    const nonce = 'A'.repeat(32);
    const sig = v2Signature(key, nonce, String(then.getTime()), body, 'hmac');
    const raw = `signature=${sig}&timestamp=${then.getTime()}&nonce=${nonce}\n${body}`;
    const req = resignedRequest(row('v2'), raw, key, now, url);
    const read = await readCall(req, 65536);
    if (!read.ok || read.call.protocol !== 'v2') throw new Error('not a V2 call');
    expect(read.call.body.toString('utf8')).toBe(body);
    expect(read.call.query.timestamp).toBe(String(now.getTime()));
    expect(read.call.query.nonce).not.toBe(nonce);
    expect(auth(read.call)).toMatchObject({ ok: true, keyIndex: 1 });
  });

  it('replays through a sender and shows both answers, passwords redacted', async () => {
    const box = createSecretBox(randomBytes(32));
    const seen: Request[] = [];
    const result = await replayInboxEntry(
      {
        secretBox: box,
        keys: ['old-key', key],
        produceUrl: url,
        send: async (r) => {
          seen.push(r);
          return new Response(
            '{"resultCode":"000000","resultMsg":"success","appInfo":{"password":"ivivivivivivivivSECRET"}}',
          );
        },
      },
      row('v1', { raw_sealed: box.seal('activity=newInstance&timeStamp=1', 'inbox:raw') }),
      now,
    );
    expect(seen).toHaveLength(1);
    expect(result.stored.resultCode).toBe('000000');
    expect(result.replayed).toMatchObject({
      resultCode: '000000',
      status: 200,
      answer: { appInfo: { password: '[encrypted]' } },
    });
  });
});
