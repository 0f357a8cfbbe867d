import { createHmac, randomBytes } from 'node:crypto';
import { decryptField } from '../../src/marketplace/protocol/field-crypto.js';
import {
  parseBodySign,
  v1AuthToken,
  v2Signature,
} from '../../src/marketplace/protocol/signatures.js';

/** Signed KooGallery calls for the gateway's own tests, built from the spec (not from the gateway). */
function v1Timestamp(at: Date): string {
  return at
    .toISOString()
    .replace(/[-:TZ.]/g, '')
    .slice(0, 17);
}

export function v1Request(
  base: string,
  params: Record<string, string>,
  key: string,
  at: Date,
): Request {
  const all: [string, string][] = Object.entries({ timeStamp: v1Timestamp(at), ...params });
  const token = v1AuthToken(key, all);
  const qs = new URLSearchParams([...all, ['authToken', token]]).toString();
  return new Request(`${base}?${qs}`, { method: 'GET' });
}

export function v2Request(
  base: string,
  body: Record<string, unknown> | string,
  key: string,
  at: Date,
  options: { nonce?: string; inner?: 'hmac' | 'sha256'; timestamp?: string } = {},
): Request {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const nonce = options.nonce ?? randomBytes(16).toString('hex').toUpperCase();
  const timestamp = options.timestamp ?? String(at.getTime());
  const signature = v2Signature(key, nonce, timestamp, raw, options.inner ?? 'hmac');
  const qs = new URLSearchParams({ signature, timestamp, nonce }).toString();
  return new Request(`${base}?${qs}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: raw,
  });
}

export interface ParsedAnswer {
  status: number;
  body: Record<string, unknown> & { resultCode: string; resultMsg: string };
  raw: string;
  bodySignValid: boolean;
}

export async function readAnswer(res: Response, key: string): Promise<ParsedAnswer> {
  const raw = await res.text();
  const sig = parseBodySign(res.headers.get('body-sign'));
  const expected = createHmac('sha256', key).update(raw).digest('base64');
  return { status: res.status, body: JSON.parse(raw), raw, bodySignValid: sig === expected };
}

export function decryptAppInfo(
  appInfo: Record<string, string>,
  key: string,
  encryptType: 1 | 2,
): { userName?: string; password?: string } {
  return {
    userName: appInfo.userName ? decryptField(appInfo.userName, key, encryptType) : undefined,
    password: appInfo.password ? decryptField(appInfo.password, key, encryptType) : undefined,
  };
}
