import { generateKeyPairSync } from 'node:crypto';
import type { LicenseIssuer, LicenseRequest } from '../../../src/licenses/license-store.js';
import { keyIdOf, type LicenseDocument, signLicense } from '../../../src/licenses/license-token.js';
import type { Clock } from '../../../src/platform/clock.js';
import type { License } from '../../../src/platform/db/schema.js';

export interface FakeLicenses extends LicenseIssuer {
  issued: License[];
}

/** Licenses in memory, really signed (Ed25519): one per idempotency key, revocable. */
export function createFakeLicenses(deps: { clock: Clock }): FakeLicenses {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const issued: License[] = [];
  let n = 0;
  return {
    issued,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    async issue(request: LicenseRequest) {
      const found = issued.find((l) => l.idempotency_key === request.idempotencyKey);
      if (found) return found;
      const now = deps.clock.now();
      const doc: LicenseDocument = {
        v: 1,
        id: `lic_fake_${++n}`,
        instanceId: request.instanceId,
        orderId: request.orderId,
        productId: request.productId,
        skuCode: request.skuCode,
        licensee: { customerId: request.customerId, customerName: request.customerName },
        limits: request.limits,
        issuedAt: now.toISOString(),
        notBefore: (request.notBefore ?? now).toISOString(),
        expiresAt: request.expiresAt?.toISOString() ?? null,
        boundTo: request.boundTo,
        test: request.test,
        kid: keyIdOf(publicKey),
      };
      const text = signLicense(doc, privateKey);
      const license: License = {
        id: doc.id,
        instance_id: request.instanceId,
        idempotency_key: request.idempotencyKey,
        order_id: request.orderId,
        document: doc as unknown as Record<string, unknown>,
        signature: text.split('.')[2]!,
        text,
        issued_at: now,
        expires_at: request.expiresAt,
        revoked_at: null,
      };
      issued.push(license);
      return license;
    },
    async revokeFor(instanceId) {
      const open = issued.filter((l) => l.instance_id === instanceId && !l.revoked_at);
      for (const l of open) l.revoked_at = deps.clock.now();
      return open.length;
    },
  };
}
