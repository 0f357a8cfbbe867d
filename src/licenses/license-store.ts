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

/**
 * Issues, finds and revokes licenses. The engine issues through it (one license per idempotency
 * key, whatever crashes and resends), the gateway issues inside a call's transaction.
 *
 * @example
 *   const license = await licenses.issue({ idempotencyKey: `deploy:${opId}`, instanceId, ... });
 *   await licenses.revokeFor(instanceId);
 */
export interface LicenseIssuer {
  /** Issues (or returns the already issued) license for the request, in `tx` when given. */
  issue(request: LicenseRequest, tx?: Transaction<Database>): Promise<License>;
  /** Revokes every license of the instance; resolves to how many were still valid. */
  revokeFor(instanceId: string, tx?: Transaction<Database>): Promise<number>;
  readonly publicKeyPem: string;
}

export function createLicenseIssuer(deps: {
  db: Kysely<Database>;
  key: LicenseSigningKey;
  clock: Clock;
  ids: Ids;
}): LicenseIssuer {
  return {
    publicKeyPem: deps.key.publicKeyPem,
    async revokeFor(instanceId, tx = undefined) {
      const r = await (tx ?? deps.db)
        .updateTable('licenses')
        .set({ revoked_at: deps.clock.now() })
        .where('instance_id', '=', instanceId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows);
    },
    async issue(request, maybeTx) {
      const tx = maybeTx ?? deps.db;
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
        kid: deps.key.kid,
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
