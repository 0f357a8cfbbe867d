import type { Kysely, Transaction } from 'kysely';
import type { Clock } from '../platform/clock.js';
import type { Database, License } from '../platform/db/schema.js';
import type { Ids } from '../platform/ids.js';
import { type LicenseDocument, signLicense } from './license-token.js';
import type { LicenseSigningKey } from './signing-key.js';

export interface LicenseRequest {
  /** Same key → same license (a resent order never gets a second one). */
  idempotencyKey: string;
  instanceId: string;
  orderId: string | null;
  productId: string | null;
  skuCode: string | null;
  customerId: string | null;
  customerName: string | null;
  limits: LicenseDocument['limits'];
  notBefore?: Date;
  expiresAt: Date | null;
  boundTo: LicenseDocument['boundTo'];
  test: boolean;
}

export interface LicenseIssuer {
  /** Issues (or returns the already issued) license for the request, in the caller's transaction if any. */
  issue(tx: Transaction<Database> | Kysely<Database>, request: LicenseRequest): Promise<License>;
  publicKeyPem: string;
}

export function createLicenseIssuer(deps: {
  key: LicenseSigningKey;
  clock: Clock;
  ids: Ids;
}): LicenseIssuer {
  return {
    publicKeyPem: deps.key.publicKeyPem,
    async issue(tx, request) {
      const found = await tx
        .selectFrom('licenses')
        .selectAll()
        .where('idempotency_key', '=', request.idempotencyKey)
        .executeTakeFirst();
      if (found) return found;
      const now = deps.clock.now();
      const doc: LicenseDocument = {
        v: 1,
        id: deps.ids.next('lic'),
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
      };
      const text = signLicense(doc, deps.key.privateKey);
      const inserted = await tx
        .insertInto('licenses')
        .values({
          id: doc.id,
          instance_id: request.instanceId,
          idempotency_key: request.idempotencyKey,
          order_id: request.orderId,
          document: JSON.stringify(doc),
          signature: text.split('.')[2]!,
          text,
          issued_at: now,
          expires_at: request.expiresAt,
          revoked_at: null,
        })
        .onConflict((oc) => oc.column('idempotency_key').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) return inserted;
      // Issued concurrently by another request for the same order: return that one.
      return tx
        .selectFrom('licenses')
        .selectAll()
        .where('idempotency_key', '=', request.idempotencyKey)
        .executeTakeFirstOrThrow();
    },
  };
}
