import { createFakeJournal } from '../support/fakes/journal.js';
import { describeJournalContract } from './journal.contract.js';

describeJournalContract('the in-memory fake', async ({ scrubber }) => {
  const journal = createFakeJournal({ scrubber });
  return {
    journal,
    entries: async (operationId) =>
      journal.entries
        .filter((e) => e.operationId === operationId)
        .map((e) => ({
          instanceId: e.instanceId,
          level: e.level,
          step: e.step ?? null,
          stream: e.stream ?? null,
          message: e.message,
        })),
    close: async () => {},
  };
});
