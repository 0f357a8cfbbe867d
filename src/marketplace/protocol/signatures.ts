import { createHash, createHmac } from 'node:crypto';
import { safeEqual } from '../../platform/apig-signing.js';

/**
 * KooGallery request and response signatures (spec §2). Pure functions: the gateway decides which
 * keys to try and what "fresh" means.
 */

/** Java TreeMap order: plain UTF-16 code-unit comparison, not locale order. */
function codeUnitCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The V1 string to sign: every parameter except authToken, sorted by name, `k=v` joined by `&`. */
export function v1CanonicalString(params: ReadonlyArray<readonly [string, string]>): string {
  return params
    .filter(([k]) => k !== 'authToken')
    .slice()
    .sort((a, b) => codeUnitCompare(a[0], b[0]) || codeUnitCompare(a[1], b[1]))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** V1 `authToken = base64(HMAC-SHA256(key = Key + timeStamp, canonical string))`. */
export function v1AuthToken(key: string, params: ReadonlyArray<readonly [string, string]>): string {
  const timeStamp = params.find(([k]) => k === 'timeStamp')?.[1] ?? '';
  return createHmac('sha256', key + timeStamp)
    .update(v1CanonicalString(params), 'utf8')
    .digest('base64');
}

export type V2InnerDigest = 'hmac' | 'sha256';

/**
 * V2 signature: `hex(HMAC(accessKey, accessKey + nonce + timestamp + inner))`, where `inner` is
 * lowercase hex of HMAC-SHA256(accessKey, body) — or of plain SHA-256(body), which public code
 * uses; both are accepted on input (spec §2.2).
 */
export function v2Signature(
  accessKey: string,
  nonce: string,
  timestamp: string,
  body: Buffer | string,
  inner: V2InnerDigest = 'hmac',
): string {
  const innerHex =
    inner === 'hmac'
      ? createHmac('sha256', accessKey).update(body).digest('hex')
      : createHash('sha256').update(body).digest('hex');
  return createHmac('sha256', accessKey)
    .update(accessKey + nonce + timestamp + innerHex, 'utf8')
    .digest('hex')
    .toUpperCase();
}

/** Which configured key (index) verifies a V1 request, if any. */
export function verifyV1(
  keys: readonly string[],
  params: ReadonlyArray<readonly [string, string]>,
  authToken: string,
): number | undefined {
  let match: number | undefined;
  // Every key is tried, whatever matched earlier, so timing does not reveal the key position.
  keys.forEach((key, i) => {
    if (safeEqual(v1AuthToken(key, params), authToken) && match === undefined) match = i;
  });
  return match;
}

/** Which configured key (index) verifies a V2 request, with either inner digest. */
export function verifyV2(
  keys: readonly string[],
  nonce: string,
  timestamp: string,
  body: Buffer,
  signature: string,
): number | undefined {
  const given = signature.toUpperCase();
  // The SHA-256 inner digest does not depend on the key: computed once for all keys.
  const plainInner = createHash('sha256').update(body).digest('hex');
  const outer = (key: string, inner: string) =>
    createHmac('sha256', key)
      .update(key + nonce + timestamp + inner, 'utf8')
      .digest('hex')
      .toUpperCase();
  let match: number | undefined;
  keys.forEach((key, i) => {
    const a = safeEqual(outer(key, createHmac('sha256', key).update(body).digest('hex')), given);
    const b = safeEqual(outer(key, plainInner), given);
    if ((a || b) && match === undefined) match = i;
  });
  return match;
}

/** The `Body-Sign` response header: base64(HMAC-SHA256(Key, exact body bytes)). */
export function bodySignHeader(key: string, body: Buffer | string): string {
  const sig = createHmac('sha256', key).update(body).digest('base64');
  return `sign_type="HMAC-SHA256", signature= "${sig}"`;
}

/** Parses a Body-Sign header back into its base64 signature (for the simulator's checks). */
export function parseBodySign(header: string | null | undefined): string | undefined {
  const m = header?.match(/signature=\s*"([^"]+)"/);
  return m?.[1];
}

/** The protocol generation an answer goes to; `unknown` when the call could not be read. */
export type AnswerProtocol = 'v1' | 'v2' | 'unknown';

/**
 * The one place answers are signed (spec §2.4). V1: `Body-Sign` keyed with the Key, documented.
 * V2: the 在线开通License rules say answers are signed and verified, but no page names the header
 * or the algorithm, so V2 answers carry the same `Body-Sign` keyed with the accessKey (project;
 * format unverified). Change the V2 scheme here and in `verifyAnswerSignature` only.
 */
export function answerSignatureHeaders(
  _protocol: AnswerProtocol,
  key: string,
  body: Buffer | string,
): Record<string, string> {
  return { 'Body-Sign': bodySignHeader(key, body) };
}

/** Verifies an answer as the marketplace does (the simulator's check): the mirror of the above. */
export function verifyAnswerSignature(
  _protocol: AnswerProtocol,
  key: string,
  header: (name: string) => string | null | undefined,
  body: Buffer | string,
): 'valid' | 'invalid' | 'missing' {
  const given = parseBodySign(header('body-sign'));
  if (!given) return 'missing';
  const expected = createHmac('sha256', key).update(body).digest('base64');
  return safeEqual(given, expected) ? 'valid' : 'invalid';
}
