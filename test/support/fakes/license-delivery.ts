import { createHash } from 'node:crypto';
import type { LicenseDelivery, LicenseFile } from '../../../src/deployments/ports.js';
import { Permanent, Retryable } from '../../../src/platform/errors.js';

export interface FakeLicenseDelivery extends LicenseDelivery {
  /** Accepted uploads, in order. */
  uploads: Array<{ eventId: string } & LicenseFile>;
  /** Upload attempts (accepted or not), in order. */
  attempts: string[];
  /** Events the marketplace sent (an upload for another one is refused, 91381034). */
  events: Set<string>;
  /** The next uploads fail with these marketplace codes, in order (CBC.0999 and 91381036 are transient). */
  failNext(...codes: string[]): void;
}

const transient = new Set(['CBC.0999', '91381036']);

/** The marketplace's upload API in memory, with its checks: a known event, a matching sha256. */
export function createFakeLicenseDelivery(): FakeLicenseDelivery {
  const faults: string[] = [];
  const fake: FakeLicenseDelivery = {
    uploads: [],
    attempts: [],
    events: new Set(),
    failNext: (...codes) => {
      faults.push(...codes);
    },
    async upload(eventId, file) {
      fake.attempts.push(eventId);
      const fault = faults.shift();
      if (fault && transient.has(fault))
        throw new Retryable(`upload for ${eventId} failed with ${fault} (fake)`, { code: fault });
      if (fault)
        throw new Permanent(`upload for ${eventId} refused: ${fault} (fake)`, { code: fault });
      if (!fake.events.has(eventId))
        throw new Permanent(`no event ${eventId} (fake)`, { code: '91381034' });
      const sha256 = createHash('sha256').update(file.text, 'utf8').digest('hex');
      if (sha256 !== file.sha256)
        throw new Permanent(`sha256 does not match the file (fake)`, { code: 'CBC.0101' });
      fake.uploads.push({ eventId, ...file });
      return { code: 'CBC.0000', host: 'fake' };
    },
  };
  return fake;
}
