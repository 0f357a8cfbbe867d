// Reads and verifies the license the deployer installed on this server.
//
// The license file holds one token line `KGD1.<payload>.<signature>` (other lines, such as the
// comments a product's license template adds, are ignored). The payload is base64url JSON; the
// signature is Ed25519 over the bytes `KGD1.<payload>`, checked against the deployer's public key
// (PEM), which the deployer writes next to the license. Plain node:crypto: no dependencies.
//
// Run directly (`node bin/license.mjs`) it prints the license summary and exits 0, or prints why
// the license is refused and exits 1: the hooks use that to refuse to start.
import { createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const tokenLine = /^KGD1\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/;

/**
 * @returns {{ ok: true, license: object } | { ok: false, reason: string }}
 */
export function checkLicense({ licensePath, publicKeyPath, instanceId, now = new Date() }) {
  if (!licensePath) return { ok: false, reason: 'KGD_LICENSE_PATH is not set' };
  if (!publicKeyPath) return { ok: false, reason: 'KGD_LICENSE_PUBLIC_KEY_PATH is not set' };
  let text;
  let publicKey;
  try {
    text = readFileSync(licensePath, 'utf8');
  } catch (err) {
    return { ok: false, reason: `no license at ${licensePath} (${err.code ?? err.message})` };
  }
  try {
    publicKey = createPublicKey(readFileSync(publicKeyPath, 'utf8'));
  } catch (err) {
    return {
      ok: false,
      reason: `cannot read the public key ${publicKeyPath} (${err.code ?? err.message})`,
    };
  }
  const match = text
    .split('\n')
    .map((line) => line.trim().match(tokenLine))
    .find(Boolean);
  if (!match) return { ok: false, reason: `${licensePath} holds no KGD1 license token` };
  const [, payload, signature] = match;
  const signed = Buffer.from(`KGD1.${payload}`);
  if (!verify(null, signed, publicKey, Buffer.from(signature, 'base64url'))) {
    return { ok: false, reason: 'the license signature does not match the public key' };
  }
  let license;
  try {
    license = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'the license payload is not JSON' };
  }
  if (license.v !== 1) return { ok: false, reason: `unsupported license version ${license.v}` };
  const t = now.getTime();
  if (t < Date.parse(license.notBefore)) {
    return { ok: false, reason: `the license is not valid before ${license.notBefore}` };
  }
  if (license.expiresAt !== null && t >= Date.parse(license.expiresAt)) {
    return { ok: false, reason: `the license expired at ${license.expiresAt}` };
  }
  // A license copied from another buyer's server is signed and unexpired, but not for this one.
  if (instanceId && license.instanceId !== instanceId) {
    return {
      ok: false,
      reason: `the license is for instance ${license.instanceId}, this is ${instanceId}`,
    };
  }
  return { ok: true, license };
}

/** The license as this server's environment (`.kgd/env`) describes it. */
export function checkInstalledLicense(env = process.env, now = new Date()) {
  return checkLicense({
    licensePath: env.KGD_LICENSE_PATH,
    publicKeyPath: env.KGD_LICENSE_PUBLIC_KEY_PATH,
    instanceId: env.KGD_INSTANCE_ID,
    now,
  });
}

/** Whole days left before expiry (rounded up), or null for a perpetual license. */
export function daysLeft(license, now = new Date()) {
  if (license.expiresAt === null) return null;
  return Math.max(0, Math.ceil((Date.parse(license.expiresAt) - now.getTime()) / 86_400_000));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = checkInstalledLicense();
  if (!check.ok) {
    console.error(`license refused: ${check.reason}`);
    process.exit(1);
  }
  const { license } = check;
  const days = daysLeft(license);
  console.log(
    `license ${license.id} valid: licensee ${license.licensee.customerName ?? license.licensee.customerId ?? 'unknown'}, ` +
      `sku ${license.skuCode ?? '-'}, ${days === null ? 'perpetual' : `expires ${license.expiresAt} (${days} days left)`}`,
  );
}
