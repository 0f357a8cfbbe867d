import { createHash, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';

/**
 * A license is a signed document: `KGD1.<base64url(canonical JSON)>.<base64url(Ed25519 signature)>`,
 * the signature covering `KGD1.<payload>`. One line, so it fits the V1 `license` answer field, an
 * environment variable, or a file the product's template wraps.
 */
export interface LicenseDocument {
  v: 1;
  id: string;
  instanceId: string;
  orderId: string | null;
  productId: string | null;
  skuCode: string | null;
  licensee: { customerId: string | null; customerName: string | null };
  limits: Record<string, string | number | boolean>;
  issuedAt: string;
  notBefore: string;
  /** Null for a perpetual (one-off) license. */
  expiresAt: string | null;
  /** What the license is bound to: the deployed server, or the buyer's machine code. */
  boundTo: { serverId?: string; machineCode?: string };
  test: boolean;
  /** Id of the key that signed it (keyIdOf its public key); absent in licenses issued before. */
  kid?: string;
}

/** A public key's id: the first 16 characters of its SPKI SHA-256, base64url. */
export function keyIdOf(publicKey: KeyObject | string): string {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  const der = key.export({ format: 'der', type: 'spki' });
  return createHash('sha256').update(der).digest('base64url').slice(0, 16);
}

const PREFIX = 'KGD1';

/** JSON with object keys sorted at every level: the bytes signed do not depend on key order. */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function signLicense(doc: LicenseDocument, privateKey: KeyObject): string {
  const payload = Buffer.from(canonicalJson(doc)).toString('base64url');
  const signed = `${PREFIX}.${payload}`;
  const signature = sign(null, Buffer.from(signed), privateKey).toString('base64url');
  return `${signed}.${signature}`;
}

export type LicenseCheck =
  | { valid: true; document: LicenseDocument; expired: boolean; notYetValid: boolean }
  | { valid: false; reason: string };

/**
 * Verifies a license token with the published key its `kid` names (several are published during a
 * key rotation), or, for a license without one, with any of them; reports its validity at `now`.
 */
export function verifyLicense(
  token: string,
  publicKeys: KeyObject | string | Array<KeyObject | string>,
  now: Date,
): LicenseCheck {
  const keys = (Array.isArray(publicKeys) ? publicKeys : [publicKeys]).map((k) =>
    typeof k === 'string' ? createPublicKey(k) : k,
  );
  const parts = token.trim().split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX) {
    return { valid: false, reason: 'not a KGD1 license token' };
  }
  const [, payload, signature] = parts as [string, string, string];
  let document: LicenseDocument;
  try {
    document = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as LicenseDocument;
  } catch {
    return { valid: false, reason: 'payload is not JSON' };
  }
  // The kid only chooses the key; the signature, checked next, covers it with the rest.
  const candidates =
    typeof document?.kid === 'string' ? keys.filter((k) => keyIdOf(k) === document.kid) : keys;
  if (candidates.length === 0)
    return {
      valid: false,
      reason: `signed with key ${document.kid}, which is not among the ${keys.length} public key(s) given`,
    };
  const ok = candidates.some((key) =>
    verify(null, Buffer.from(`${PREFIX}.${payload}`), key, Buffer.from(signature, 'base64url')),
  );
  if (!ok) return { valid: false, reason: 'signature does not match the public key' };
  const t = now.getTime();
  return {
    valid: true,
    document,
    expired: document.expiresAt !== null && t >= Date.parse(document.expiresAt),
    notYetValid: t < Date.parse(document.notBefore),
  };
}
