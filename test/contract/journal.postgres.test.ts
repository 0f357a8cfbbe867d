import { createJournal } from '../../src/deployments/journal.js';
import { openDatabase } from '../../src/platform/db/database.js';
import { createSilentLogger } from '../../src/platform/logger.js';
import { createTestDatabase } from '../support/database.js';
import { describeJournalContract } from './journal.contract.js';

describeJournalContract('createJournal over PostgreSQL', async ({ scrubber, clock }) => {
  const testDb = await createTestDatabase('kgd_contract_journal');
  const { db, close } = await openDatabase({
    url: testDb.url,
    poolSize: 2,
    logger: createSilentLogger(),
  });
  return {
    journal: createJournal({ db, logger: createSilentLogger(), scrubber, clock }),
    // What `kgd deployments logs` reads: the operation's rows in insertion order.
    entries: (operationId) =>
      db
        .selectFrom('operation_logs')
        .select(['instance_id as instanceId', 'level', 'step', 'stream', 'message'])
        .where('operation_id', '=', operationId)
        .orderBy('id')
        .execute(),
    async close() {
      await close();
      await testDb.drop();
    },
  };
});
