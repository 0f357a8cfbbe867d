import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LicenseIssuer, LicenseRequest } from '../../src/licenses/license-store.js';
import { keyIdOf, verifyLicense } from '../../src/licenses/license-token.js';
import type { Clock } from '../../src/platform/clock.js';
import type { License } from '../../src/platform/db/schema.js';
import { createManualClock } from '../support/fakes/manual-clock.js';

/** One `LicenseIssuer` ready for the suite. */
export interface IssuerUnderTest {
  licenses: LicenseIssuer;
  /** Licenses belong to an instance: makes one exist (the fake needs nothing). */
  addInstance(id: string): Promise<void>;
  /** The instance's licenses as kept, read out of band. */
  licensesOf(instanceId: string): Promise<Array<Pick<License, 'id' | 'revoked_at'>>>;
  close(): Promise<void>;
}

const start = new Date('2026-11-23T08:00:00.000Z');
const day = 86_400_000;

/**
 * The `LicenseIssuer` contract (licenses/license-store.ts), run against the in-memory fake and
 * `createLicenseIssuer` over PostgreSQL.
 *
 * @example
 *   describeLicenseIssuerContract('the fake', async (clock) => ({ licenses: createFakeLicenses({ clock }), ... }));
 */
export function describeLicenseIssuerContract(
  name: string,
  makeIssuer: (clock: Clock) => Promise<IssuerUnderTest>,
): void {
  describe(`LicenseIssuer contract: ${name}`, () => {
    const clock = createManualClock({ start });
    let t: IssuerUnderTest;
    let licenses: LicenseIssuer;
    beforeAll(async () => {
      t = await makeIssuer(clock);
      licenses = t.licenses;
    });
    afterAll(() => t?.close());

    const request = (instanceId: string, over: Partial<LicenseRequest> = {}): LicenseRequest => ({
      idempotencyKey: `deploy:op-${instanceId}`,
      instanceId,
      orderId: `CS-${instanceId}`,
      productId: 'OFFI-DEMO-LICENSE-MONTH',
      skuCode: 'basic',
      customerId: 'cust-1',
      customerName: 'Acme Buyer',
      limits: { users: 10, edition: 'standard', support: true },
      expiresAt: new Date(clock.now().getTime() + 30 * day),
      boundTo: { serverId: `ecs-${instanceId}` },
      test: false,
      ...over,
    });

    it('issues one license per idempotency key, whatever the later requests say', async () => {
      await t.addInstance('kgi-l1');
      const first = await licenses.issue(request('kgi-l1'));
      clock.advance(60_000);
      const again = await licenses.issue(request('kgi-l1', { limits: { users: 50 } }));
      expect(again).toEqual(first);
      const other = await licenses.issue(request('kgi-l1', { idempotencyKey: 'renew:kgi-l1:1' }));
      expect(other.id).not.toBe(first.id);
      expect(other.text).not.toBe(first.text);
    });

    it("signs a text the issuer's public key verifies, carrying the request, its expiry and limits", async () => {
      await t.addInstance('kgi-l2');
      const now = clock.now();
      const expiresAt = new Date(now.getTime() + 30 * day);
      const license = await licenses.issue(request('kgi-l2', { expiresAt }));
      expect(license).toMatchObject({
        instance_id: 'kgi-l2',
        idempotency_key: 'deploy:op-kgi-l2',
        order_id: 'CS-kgi-l2',
        issued_at: now,
        expires_at: expiresAt,
        revoked_at: null,
        signature: license.text.split('.')[2],
      });
      const check = verifyLicense(license.text, licenses.publicKeyPem, now);
      if (!check.valid) throw new Error(check.reason);
      expect(check).toMatchObject({ expired: false, notYetValid: false });
      expect(check.document).toEqual({
        v: 1,
        id: license.id,
        instanceId: 'kgi-l2',
        orderId: 'CS-kgi-l2',
        productId: 'OFFI-DEMO-LICENSE-MONTH',
        skuCode: 'basic',
        licensee: { customerId: 'cust-1', customerName: 'Acme Buyer' },
        limits: { users: 10, edition: 'standard', support: true },
        issuedAt: now.toISOString(),
        notBefore: now.toISOString(),
        expiresAt: expiresAt.toISOString(),
        boundTo: { serverId: 'ecs-kgi-l2' },
        test: false,
        // The id of the key that signed it: a verifier holding several picks by it.
        kid: keyIdOf(licenses.publicKeyPem),
      });
      expect(license.document).toEqual(check.document);
      expect(verifyLicense(license.text, licenses.publicKeyPem, expiresAt)).toMatchObject({
        valid: true,
        expired: true,
      });
      const stranger = generateKeyPairSync('ed25519').publicKey;
      expect(verifyLicense(license.text, stranger, now)).toMatchObject({ valid: false });
    });

    it('a one-off order gets a license that never expires', async () => {
      await t.addInstance('kgi-l3');
      const license = await licenses.issue(
        request('kgi-l3', { expiresAt: null, boundTo: { machineCode: 'MC-1' }, test: true }),
      );
      expect(license.expires_at).toBeNull();
      const check = verifyLicense(license.text, licenses.publicKeyPem, new Date(8.64e15));
      expect(check).toMatchObject({
        valid: true,
        expired: false,
        document: { expiresAt: null, boundTo: { machineCode: 'MC-1' }, test: true },
      });
    });

    it("revokeFor revokes only that instance's valid licenses and counts them; again, 0", async () => {
      await t.addInstance('kgi-l4');
      await t.addInstance('kgi-l5');
      const a = await licenses.issue(request('kgi-l4'));
      const b = await licenses.issue(request('kgi-l4', { idempotencyKey: 'upgrade:kgi-l4:1' }));
      const kept = await licenses.issue(request('kgi-l5'));
      clock.advance(60_000);
      const at = clock.now();
      expect(await licenses.revokeFor('kgi-l4')).toBe(2);
      const revoked = await t.licensesOf('kgi-l4');
      expect(revoked.map((l) => l.id).sort()).toEqual([a.id, b.id].sort());
      for (const l of revoked) expect(l.revoked_at).toEqual(at);
      expect(await t.licensesOf('kgi-l5')).toEqual([{ id: kept.id, revoked_at: null }]);

      clock.advance(60_000);
      expect(await licenses.revokeFor('kgi-l4')).toBe(0);
      for (const l of await t.licensesOf('kgi-l4')) expect(l.revoked_at).toEqual(at);
      // A resent request still finds its (revoked) license: never a second one.
      expect(await licenses.issue(request('kgi-l4'))).toMatchObject({ id: a.id, revoked_at: at });
      const fresh = await licenses.issue(request('kgi-l4', { idempotencyKey: 'renew:kgi-l4:2' }));
      expect(await licenses.revokeFor('kgi-l4')).toBe(1);
      expect(await licenses.revokeFor('kgi-none')).toBe(0);
      expect((await t.licensesOf('kgi-l4')).find((l) => l.id === fresh.id)?.revoked_at).toEqual(
        clock.now(),
      );
    });
  });
}
