import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Huawei Cloud API gateway (APIG) `SDK-HMAC-SHA256` request signing (huawei-cloud.md §2): used by
 * the marketplace's order query client to call KooGallery, and by the simulator to verify every
 * call the real SDK makes (cloud) and every order query (marketplace).
 * Written here rather than borrowed from the SDK because the SDK's signer reads its own clock and
 * hashes `JSON.stringify(body)` instead of the bytes sent; `apig-signing.test.ts` proves both
 * produce the same signatures.
 */
const ALGORITHM = 'SDK-HMAC-SHA256';

/** Constant-time string comparison (lengths are not secret). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface SignableRequest {
  method: string;
  /** Absolute URL (its host is signed unless a host header is given). */
  url: string;
  /** Header names in any case; values as they will be sent. */
  headers: Record<string, string>;
  body?: string | Buffer;
}

/** RFC 3986 percent-encoding with upper-case hex, unreserved characters kept. */
function sdkEncode(s: string): string {
  return encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function canonicalUri(pathname: string): string {
  const encoded = pathname
    .split('/')
    .map((seg) => sdkEncode(decodeURIComponentSafe(seg)))
    .join('/');
  return encoded.endsWith('/') ? encoded : `${encoded}/`;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function canonicalQuery(search: URLSearchParams): string {
  const byKey = new Map<string, string[]>();
  for (const [k, v] of search) byKey.set(k, [...(byKey.get(k) ?? []), v]);
  return [...byKey.keys()]
    .sort()
    .flatMap((k) =>
      byKey
        .get(k)!
        .slice()
        .sort()
        .map((v) => `${sdkEncode(k)}=${sdkEncode(v)}`),
    )
    .join('&');
}

export function formatSdkDate(at: Date): string {
  return `${at.toISOString().replace(/[-:]/g, '').slice(0, 15)}Z`;
}

export function parseSdkDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  const at = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function stringToSign(
  req: SignableRequest,
  signedHeaders: string[],
  headerValue: (name: string) => string,
  sdkDate: string,
): string {
  const url = new URL(req.url);
  const payloadHash = headerValue('x-sdk-content-sha256') || sha256Hex(req.body ?? '');
  const canonicalRequest = [
    req.method.toUpperCase(),
    canonicalUri(url.pathname),
    canonicalQuery(url.searchParams),
    signedHeaders.map((h) => `${h}:${headerValue(h)}\n`).join(''),
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  return `${ALGORITHM}\n${sdkDate}\n${sha256Hex(canonicalRequest)}`;
}

/**
 * Signs a request: returns the headers to send (the given ones plus host, X-Sdk-Date and
 * Authorization). Every given header is signed, as the SDK does.
 *
 * @example
 *   const headers = signRequest({ method: 'GET', url, headers: { 'content-type': 'application/json' } },
 *     { ak, sk }, clock.now());
 */
export function signRequest(
  req: SignableRequest,
  credentials: { ak: string; sk: string },
  now: Date,
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
  headers.host ??= new URL(req.url).host;
  headers['x-sdk-date'] ??= formatSdkDate(now);
  const names = Object.keys(headers).sort();
  const sts = stringToSign(req, names, (h) => headers[h] ?? '', headers['x-sdk-date']);
  const signature = createHmac('sha256', credentials.sk).update(sts).digest('hex');
  return {
    ...headers,
    authorization: `${ALGORITHM} Access=${credentials.ak}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}

type VerifyFailure = {
  ok: false;
  /** Huawei API gateway error code for the failure. */
  code: 'APIGW.0301' | 'APIGW.0303';
  message: string;
};

export type VerifyResult = { ok: true; ak: string } | VerifyFailure;

/**
 * Verifies an `SDK-HMAC-SHA256` request as the Huawei API gateway does: the Authorization header,
 * a known AK, the signature over the signed headers, and an X-Sdk-Date within `maxSkewMs`.
 */
export function verifyRequest(
  req: SignableRequest,
  lookupSk: (ak: string) => string | undefined,
  now: Date,
  maxSkewMs = 15 * 60_000,
): VerifyResult {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
  const auth = headers.authorization ?? '';
  const m =
    /^SDK-HMAC-SHA256\s+Access=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-fA-F]+)$/.exec(
      auth,
    );
  if (!m) {
    return {
      ok: false,
      code: 'APIGW.0301',
      message: 'Incorrect IAM authentication information: missing or malformed Authorization',
    };
  }
  const [, ak, signed, signature] = m as unknown as [string, string, string, string];
  const sk = lookupSk(ak);
  if (!sk) {
    return {
      ok: false,
      code: 'APIGW.0301',
      message: 'Incorrect IAM authentication information: unknown AK',
    };
  }
  const sdkDate = headers['x-sdk-date'];
  const at = sdkDate ? parseSdkDate(sdkDate) : undefined;
  if (!sdkDate || !at) {
    return {
      ok: false,
      code: 'APIGW.0301',
      message: 'Incorrect IAM authentication information: missing or malformed X-Sdk-Date',
    };
  }
  if (Math.abs(now.getTime() - at.getTime()) > maxSkewMs) {
    return {
      ok: false,
      code: 'APIGW.0303',
      message:
        'Incorrect app authentication information: the request has expired (X-Sdk-Date too far from now)',
    };
  }
  const names = signed.split(';');
  if (!names.includes('x-sdk-date') || names.some((n) => !(n in headers))) {
    return {
      ok: false,
      code: 'APIGW.0301',
      message: 'Incorrect IAM authentication information: signed header missing',
    };
  }
  const sts = stringToSign(req, names, (h) => headers[h] ?? '', sdkDate);
  const expected = createHmac('sha256', sk).update(sts).digest('hex');
  if (!safeEqual(expected, signature.toLowerCase())) {
    return {
      ok: false,
      code: 'APIGW.0301',
      message: 'Incorrect IAM authentication information: verify aksk signature fail',
    };
  }
  return { ok: true, ak };
}
