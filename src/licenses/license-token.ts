import { createPublicKey, type KeyObject, sign, verify } from 'node:crypto';

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

/** Verifies a license token's signature and reports its validity window at `now`. */
export function verifyLicense(
  token: string,
  publicKey: KeyObject | string,
  now: Date,
): LicenseCheck {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  const parts = token.trim().split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX) {
    return { valid: false, reason: 'not a KGD1 license token' };
  }
  const [, payload, signature] = parts as [string, string, string];
  const ok = verify(
    null,
    Buffer.from(`${PREFIX}.${payload}`),
    key,
    Buffer.from(signature, 'base64url'),
  );
  if (!ok) return { valid: false, reason: 'signature does not match the public key' };
  let document: LicenseDocument;
  try {
    document = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as LicenseDocument;
  } catch {
    return { valid: false, reason: 'payload is not JSON' };
  }
  const t = now.getTime();
  return {
    valid: true,
    document,
    expired: document.expiresAt !== null && t >= Date.parse(document.expiresAt),
    notYetValid: t < Date.parse(document.notBefore),
  };
}
