import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LicenseDelivery, LicenseFile } from '../../src/deployments/ports.js';
import { Permanent, Retryable } from '../../src/platform/errors.js';

/** One `LicenseDelivery` ready for the suite, and the marketplace it uploads to. */
export interface DeliveryUnderTest {
  delivery: LicenseDelivery;
  /** The marketplace sent a getLicenseAsync with this event id. */
  announce(eventId: string): void;
  /** What the marketplace holds for the event, in upload order. */
  uploads(eventId: string): Array<{ sha256: string; text: string }>;
  /** The next upload is answered with this marketplace code (CBC.0999 transient, 91381035 not). */
  failNext(code: 'CBC.0999' | '91381035'): void;
  close(): Promise<void>;
}

const fileOf = (text: string, name = 'license.lic'): LicenseFile => ({
  name,
  text,
  sha256: createHash('sha256').update(text, 'utf8').digest('hex'),
});

/**
 * The `LicenseDelivery` contract (deployments/ports.ts), run against the in-memory fake and
 * `createLicenseUploadClient` over the simulator's upload API: a license reaches the event it
 * names, byte for byte; a transient answer is `Retryable`; refusals are `Permanent` with the
 * marketplace's code.
 *
 * @example
 *   describeLicenseDeliveryContract('the fake', async () => { const d = createFakeLicenseDelivery(); ... });
 */
export function describeLicenseDeliveryContract(
  name: string,
  make: () => Promise<DeliveryUnderTest>,
): void {
  describe(`LicenseDelivery contract: ${name}`, () => {
    let t: DeliveryUnderTest;
    beforeAll(async () => {
      t = await make();
    });
    afterAll(() => t?.close());

    it('uploads the file for its event, byte for byte, with its sha256', async () => {
      t.announce('EVT-C-0001');
      const file = fileOf('KGD1.token.sig\n# 中文 licensee\n');
      const receipt = await t.delivery.upload('EVT-C-0001', file);
      expect(receipt.code).toBe('CBC.0000');
      expect(t.uploads('EVT-C-0001')).toEqual([{ sha256: file.sha256, text: file.text }]);
      expect(t.uploads('EVT-C-OTHER')).toEqual([]);
    });

    it('a transient answer is Retryable and uploads nothing; the next try goes through', async () => {
      t.announce('EVT-C-0002');
      t.failNext('CBC.0999');
      const file = fileOf('second license\n');
      const err = await t.delivery.upload('EVT-C-0002', file).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Retryable);
      expect(t.uploads('EVT-C-0002')).toEqual([]);
      await t.delivery.upload('EVT-C-0002', file);
      expect(t.uploads('EVT-C-0002')).toHaveLength(1);
    });

    it('a refusal is Permanent with the marketplace code', async () => {
      t.announce('EVT-C-0003');
      t.failNext('91381035');
      const err = await t.delivery.upload('EVT-C-0003', fileOf('x\n')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Permanent);
      expect((err as Permanent).code).toBe('91381035');
      const unknown = await t.delivery
        .upload('EVT-C-NEVER-SENT', fileOf('y\n'))
        .catch((e: unknown) => e);
      expect(unknown).toBeInstanceOf(Permanent);
      expect((unknown as Permanent).code).toBe('91381034');
    });

    it('a file whose sha256 is wrong is refused (CBC.0101)', async () => {
      t.announce('EVT-C-0004');
      const file = { ...fileOf('z\n'), sha256: '0'.repeat(64) };
      const err = await t.delivery.upload('EVT-C-0004', file).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Permanent);
      expect((err as Permanent).code).toBe('CBC.0101');
      expect(t.uploads('EVT-C-0004')).toEqual([]);
    });
  });
}
