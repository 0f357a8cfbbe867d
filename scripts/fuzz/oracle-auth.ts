import { v1AuthToken, v2Signature } from '../../src/marketplace/protocol/signatures.js';
import type { Pairs, Protocol } from './calls.js';
import type { Wire } from './wire.js';

/**
 * What the production endpoint must do with a request before reading its activity (README "What
 * happens to a marketplace call", steps 1 and 2; spec §2, §3): the request's structure, then its
 * signature and freshness. Decided from the wire bytes alone, as HTTP and the spec define them.
 */
export interface AuthContext {
  keys: readonly string[];
  v1SkewMs: number;
  v2SkewMs: number;
  maxBodyBytes: number;
}

export type Gate =
  | { pass: false; code: '000001' | '000002'; msg: RegExp; why: string }
  | {
      pass: true;
      protocol: Protocol;
      params: Pairs;
      body: Buffer;
      keyIndex: number;
      /** Too close to the freshness limit to say: refused as stale or accepted, both right. */
      edge: boolean;
    };

const structure = (why: string, msg: RegExp): Gate => ({ pass: false, code: '000002', msg, why });
const refused = (why: string, msg: RegExp): Gate => ({ pass: false, code: '000001', msg, why });

/** `application/json` or any `+json` type, with parameters; absent is accepted too. */
const jsonType = /^application\/(json|[\w.+-]+\+json)\s*(;|$)/i;

function v1Time(value: string | undefined): number | undefined {
  const m = value && /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{3})$/.exec(value);
  if (!m) return undefined;
  const at = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`);
  return Number.isNaN(at) ? undefined : at;
}

function v2Time(value: string): number | undefined {
  if (/^\d{13}$/.test(value)) return Number(value);
  if (/^\d{10}$/.test(value)) return Number(value) * 1000;
  return undefined;
}

/** Freshness with a margin for the time a request spends between signing and reading. */
function freshness(at: number, now: number, limitMs: number): 'fresh' | 'stale' | 'edge' {
  const d = Math.abs(now - at);
  if (d <= limitMs - 3_000) return 'fresh';
  if (d > limitMs + 3_000) return 'stale';
  return 'edge';
}

export function gate(wire: Wire, ctx: AuthContext, now: number): Gate {
  const url = new URL(`http://127.0.0.1${wire.path}`);
  const params: Pairs = [];
  const seen = new Set<string>();
  for (const [k, v] of url.searchParams) {
    if (seen.has(k)) return structure(`duplicate query parameter ${k}`, /more than once/);
    seen.add(k);
    params.push([k, v]);
  }
  if (url.search.length > ctx.maxBodyBytes) return structure('query too long', /query string over/);
  const body = wire.body ?? Buffer.alloc(0);
  if (wire.method !== 'GET') {
    if (wire.method !== 'POST') return structure(`method ${wire.method}`, /not accepted/);
    const type = wire.headers['content-type'];
    if (type !== undefined && !jsonType.test(type))
      return structure(`content-type ${type}`, /content-type/);
    if (body.length > ctx.maxBodyBytes) return structure('body too large', /body over/);
  }
  const get = (k: string) => params.find(([n]) => n === k)?.[1];

  if (wire.method === 'GET') {
    const token = get('authToken');
    if (!token) return refused('no authToken', /authToken is missing/);
    const at = v1Time(get('timeStamp'));
    if (at === undefined) return refused('timeStamp missing or malformed', /timeStamp/);
    const keyIndex = ctx.keys.findIndex((k) => v1AuthToken(k, params) === token);
    if (keyIndex < 0) return refused('authToken does not verify', /does not verify/);
    const fresh = freshness(at, now, ctx.v1SkewMs);
    if (fresh === 'stale') return refused('timeStamp out of window', /away from now/);
    return { pass: true, protocol: 'v1', params, body, keyIndex, edge: fresh === 'edge' };
  }
  const signature = get('signature');
  const timestamp = get('timestamp');
  const nonce = get('nonce');
  if (!signature || !timestamp || !nonce) return refused('no signature', /required/);
  if (nonce.length > 128) return refused('nonce too long', /nonce is longer/);
  const at = v2Time(timestamp);
  if (at === undefined) return refused('timestamp malformed', /timestamp must be/);
  const given = signature.toUpperCase();
  const keyIndex = ctx.keys.findIndex(
    (k) =>
      v2Signature(k, nonce, timestamp, body, 'hmac') === given ||
      v2Signature(k, nonce, timestamp, body, 'sha256') === given,
  );
  if (keyIndex < 0) return refused('signature does not verify', /does not verify/);
  const fresh = freshness(at, now, ctx.v2SkewMs);
  if (fresh === 'stale') return refused('timestamp out of window', /away from now/);
  return { pass: true, protocol: 'v2', params, body, keyIndex, edge: fresh === 'edge' };
}
