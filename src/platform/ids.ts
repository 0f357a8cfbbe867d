import { randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from './clock.js';

/**
 * Identifier generation, injected so tests can predict ids. Time-ordered ids (ULID layout:
 * 48-bit milliseconds + 80 random bits, Crockford base32, lower case) sort by creation.
 */
export interface Ids {
  /** A KooGallery instanceId: short, URL- and tag-safe, globally unique (<= 64 chars). */
  instanceId(): string;
  /** A time-ordered id with a kind prefix, e.g. `op_01jd...`. */
  next(prefix: string): string;
  uuid(): string;
  /** Random token of the given byte length, base64url. */
  token(bytes?: number): string;
}

const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';

function encodeTime(ms: number): string {
  let out = '';
  let t = ms;
  for (let i = 0; i < 10; i++) {
    out = alphabet[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}

function encodeRandom(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

export function createIds(clock: Clock): Ids {
  const ulid = () => encodeTime(clock.now().getTime()) + encodeRandom(randomBytes(10));
  return {
    instanceId: () => `kgi-${ulid()}`,
    next: (prefix) => `${prefix}_${ulid()}`,
    uuid: () => randomUUID(),
    token: (bytes = 24) => randomBytes(bytes).toString('base64url'),
  };
}
