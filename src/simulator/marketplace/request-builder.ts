import { randomBytes } from 'node:crypto';
import { v1AuthToken, v2Signature } from '../../marketplace/protocol/signatures.js';
import { formatV1TimeStamp } from './time-format.js';

/**
 * Builds the exact HTTP request the marketplace sends for one activity (spec §2, §4, §5): V1 as
 * a GET with every parameter in the query string and an `authToken`; V2 as a POST of JSON with
 * `?signature=&timestamp=&nonce=`. Deliberate corruption (wrong key, skewed or second-based
 * timestamps, reused nonce, tampering after signing) makes negative and fuzz tests possible.
 */

export type Protocol = 'v1' | 'v2';

export interface Corruption {
  /** Sign with this key instead of the configured one. */
  signWithKey?: string;
  /** Sign as if the marketplace's clock were this far off (stale or future timestamps). */
  skewMs?: number;
  /** V2: use this nonce (e.g. one already sent, to test replay refusal). */
  nonce?: string;
  /** V2: a 10-digit seconds timestamp, which some pages document. */
  timestampUnit?: 'ms' | 's';
  /** V2: inner digest variant; both are valid (spec §2.2). */
  innerDigest?: 'hmac' | 'sha256';
  /**
   * Change the request after signing: `value` alters a parameter, `whitespace` (V2) re-indents
   * the body (same JSON, other bytes), `signature` flips a character of the signature,
   * `omit-signature` drops it.
   */
  tamper?: 'value' | 'whitespace' | 'signature' | 'omit-signature';
}

export interface CallSpec {
  protocol: Protocol;
  /** The seller's production URL. */
  url: string;
  activity: string;
  /** V1: query parameters (scalars). V2: body fields besides `activity`. Undefined is omitted. */
  fields: Record<string, unknown>;
  /** The shared Key (V1) or accessKey (V2). */
  key: string;
  corruption?: Corruption;
  /** V2: send an indented body (signed as sent): proves the endpoint hashes raw bytes. */
  prettyBody?: boolean;
}

export interface BuiltRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** The time the request claims (V1 timeStamp / V2 timestamp), skew included. */
  signedAt: Date;
  nonce?: string;
}

class CallSpecError extends Error {
  override name = 'CallSpecError';
}

function randomNonce(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

function flip(s: string): string {
  if (s.length === 0) return 'A';
  const last = s.at(-1)!;
  return s.slice(0, -1) + (last === 'A' ? 'B' : 'A');
}

function v1Value(name: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new CallSpecError(`V1 parameter ${name} must be a string, number or boolean`);
}

function withQuery(url: string, pairs: Array<[string, string]>): string {
  const query = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  return url + (url.includes('?') ? '&' : '?') + query.join('&');
}

function buildV1(spec: CallSpec, at: Date): BuiltRequest {
  const c = spec.corruption ?? {};
  if (c.tamper === 'whitespace') throw new CallSpecError('tamper "whitespace" applies to V2 only');
  const pairs: Array<[string, string]> = [['activity', spec.activity]];
  for (const [k, v] of Object.entries(spec.fields)) {
    if (v !== undefined && v !== null) pairs.push([k, v1Value(k, v)]);
  }
  if (!pairs.some(([k]) => k === 'timeStamp')) pairs.push(['timeStamp', formatV1TimeStamp(at)]);
  let token = v1AuthToken(c.signWithKey ?? spec.key, pairs);
  if (c.tamper === 'value') {
    const target = pairs.find(([k]) => k !== 'activity' && k !== 'timeStamp');
    if (target) target[1] = `${target[1]}X`;
    else pairs.push(['tampered', '1']);
  }
  if (c.tamper === 'signature') token = flip(token);
  if (c.tamper !== 'omit-signature') pairs.push(['authToken', token]);
  return { method: 'GET', url: withQuery(spec.url, pairs), headers: {}, signedAt: at };
}

function buildV2(spec: CallSpec, at: Date, nonce: string): BuiltRequest {
  const c = spec.corruption ?? {};
  const payload: Record<string, unknown> = { activity: spec.activity };
  for (const [k, v] of Object.entries(spec.fields)) if (v !== undefined) payload[k] = v;
  let body = spec.prettyBody ? JSON.stringify(payload, null, 2) : JSON.stringify(payload);
  const ms = at.getTime();
  const timestamp = c.timestampUnit === 's' ? String(Math.floor(ms / 1000)) : String(ms);
  const key = c.signWithKey ?? spec.key;
  let signature = v2Signature(key, nonce, timestamp, body, c.innerDigest ?? 'hmac');
  if (c.tamper === 'value') {
    const target = Object.keys(payload).find(
      (k) => k !== 'activity' && typeof payload[k] === 'string',
    );
    if (target) payload[target] = `${payload[target]}X`;
    else payload.tampered = '1';
    body = JSON.stringify(payload);
  }
  if (c.tamper === 'whitespace') body = JSON.stringify(payload, null, spec.prettyBody ? 0 : 1);
  if (c.tamper === 'signature') signature = flip(signature);
  const pairs: Array<[string, string]> = [];
  if (c.tamper !== 'omit-signature') pairs.push(['signature', signature]);
  pairs.push(['timestamp', timestamp], ['nonce', nonce]);
  return {
    method: 'POST',
    url: withQuery(spec.url, pairs),
    headers: { 'content-type': 'application/json;charset=UTF-8' },
    body,
    signedAt: at,
    nonce,
  };
}

/**
 * The request for one call, signed at `now` (plus any skew).
 *
 * @example
 *   const req = buildRequest({ protocol: 'v2', url, activity: 'newInstance', key,
 *     fields: { orderId, orderLineId, businessId, testFlag: '0' } }, { now: clock.now() });
 */
export function buildRequest(
  spec: CallSpec,
  options: { now: Date; nonce?: () => string },
): BuiltRequest {
  if (!/^https?:\/\//.test(spec.url)) {
    throw new CallSpecError('url must be an http(s) URL (the seller production URL)');
  }
  if (!spec.key) throw new CallSpecError('key must not be empty');
  const at = new Date(options.now.getTime() + (spec.corruption?.skewMs ?? 0));
  if (spec.protocol === 'v1') return buildV1(spec, at);
  return buildV2(spec, at, spec.corruption?.nonce ?? (options.nonce ?? randomNonce)());
}
