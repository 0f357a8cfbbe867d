import type { Journal } from '../../../src/deployments/ports.js';
import type { SecretScrubber } from '../../../src/platform/logger.js';

export interface FakeJournal extends Journal {
  entries: Array<Parameters<Journal['write']>[0]>;
  /** Messages, optionally of one step, as `step: message`. */
  lines(step?: string): string[];
}

/** The journal in memory, scrubbed (when given the scrubber) and cut as the real one is. */
export function createFakeJournal(deps: { scrubber?: SecretScrubber } = {}): FakeJournal {
  const entries: FakeJournal['entries'] = [];
  return {
    entries,
    async write(entry) {
      // Scrubbed, then cut at 8000 characters, as journal.ts does.
      const scrubbed = deps.scrubber ? deps.scrubber.scrub(entry.message) : entry.message;
      const message = scrubbed.slice(0, 8000);
      entries.push({ ...entry, message });
    },
    lines: (step) =>
      entries
        .filter((e) => step === undefined || e.step === step)
        .map((e) => `${e.step ?? '-'}: ${e.message}`),
  };
}
