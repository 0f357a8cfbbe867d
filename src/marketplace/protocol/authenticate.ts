import { createHash } from 'node:crypto';
import { parseCompactTime } from './fields.js';
import type { IncomingCall } from './read-call.js';
import { verifyV1, verifyV2 } from './signatures.js';

/**
 * Signature and freshness checks of spec §2, trying every configured key (rotation). The replay
 * check (nonce / token seen before) happens in the database transaction that records the call.
 */
export type AuthResult =
  | { ok: true; keyIndex: number; replayScope: string; replayId: string; expiresAt: Date }
  | { ok: false; message: string };

export interface AuthOptions {
  keys: readonly string[];
  now: Date;
  v1MaxSkewMs: number;
  v2MaxSkewMs: number;
}

function keyFingerprint(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/** V1 `timeStamp`: UTC `yyyyMMddHHmmssSSS` (17 digits, spec §4). */
function parseV1Timestamp(value: string): Date | undefined {
  return /^\d{17}$/.test(value) ? parseCompactTime(value) : undefined;
}

/** V2 `timestamp`: Unix milliseconds (13 digits); some pages say seconds (10 digits). */
function parseV2Timestamp(value: string): Date | undefined {
  if (/^\d{13}$/.test(value)) return new Date(Number(value));
  if (/^\d{10}$/.test(value)) return new Date(Number(value) * 1000);
  return undefined;
}

const failed = (message: string): AuthResult => ({
  ok: false,
  message: `authentication failed: ${message}`,
});

export function authenticate(call: IncomingCall, options: AuthOptions): AuthResult {
  const { keys, now } = options;
  if (call.protocol === 'v1') {
    const token = call.params.find(([k]) => k === 'authToken')?.[1];
    if (!token) return failed('authToken is missing');
    const stamp = call.params.find(([k]) => k === 'timeStamp')?.[1];
    const at = stamp ? parseV1Timestamp(stamp) : undefined;
    if (!at) return failed('timeStamp is missing or not yyyyMMddHHmmssSSS');
    const keyIndex = verifyV1(keys, call.params, token);
    if (keyIndex === undefined) return failed('authToken does not verify under any configured key');
    if (Math.abs(now.getTime() - at.getTime()) > options.v1MaxSkewMs) {
      return failed(`timeStamp is more than ${options.v1MaxSkewMs / 1000} s away from now`);
    }
    return {
      ok: true,
      keyIndex,
      replayScope: `v1:${keyFingerprint(keys[keyIndex]!)}`,
      replayId: token,
      expiresAt: new Date(now.getTime() + 2 * options.v1MaxSkewMs),
    };
  }
  const { signature, timestamp, nonce } = call.query;
  if (!signature || !timestamp || !nonce)
    return failed('signature, timestamp and nonce are required');
  if (nonce.length > 128) return failed('nonce is longer than 128 characters');
  const at = parseV2Timestamp(timestamp);
  if (!at) return failed('timestamp must be Unix time in milliseconds (13 digits)');
  const keyIndex = verifyV2(keys, nonce, timestamp, call.body, signature);
  if (keyIndex === undefined) return failed('signature does not verify under any configured key');
  if (Math.abs(now.getTime() - at.getTime()) > options.v2MaxSkewMs) {
    return failed(`timestamp is more than ${options.v2MaxSkewMs / 1000} s away from now`);
  }
  return {
    ok: true,
    keyIndex,
    replayScope: `v2:${keyFingerprint(keys[keyIndex]!)}`,
    replayId: nonce,
    expiresAt: new Date(now.getTime() + 2 * options.v2MaxSkewMs),
  };
}
