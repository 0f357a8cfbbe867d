import { randomBytes } from 'node:crypto';
import { createLease } from '../../src/deployments/engine/lease.js';
import { createInstanceSecrets } from '../../src/deployments/model/instance-secrets.js';
import { createDeploymentStore } from '../../src/deployments/store.js';
import { openDatabase } from '../../src/platform/db/database.js';
import { createIds } from '../../src/platform/ids.js';
import { createSecretScrubber, createSilentLogger } from '../../src/platform/logger.js';
import { createSecretBox } from '../../src/platform/secrets.js';
import { createTestDatabase } from '../support/database.js';
import { insertInstanceRow, insertOperationRow } from '../support/store-rows.js';
import { describeDeploymentStoreContract } from './deployment-store.contract.js';

describeDeploymentStoreContract('createDeploymentStore over PostgreSQL', async (clock) => {
  const testDb = await createTestDatabase('kgd_contract_store');
  const { db, close } = await openDatabase({
    url: testDb.url,
    poolSize: 4,
    logger: createSilentLogger(),
  });
  const secrets = createInstanceSecrets(createSecretBox(randomBytes(32)), createSecretScrubber());
  // Every write behind the lease's fence, as the service runs it.
  const lease = createLease({
    db,
    executorId: 'contract',
    appVersion: 'test',
    logger: createSilentLogger(),
    leaseMs: 600_000,
    onRevoked: (err) => {
      throw err;
    },
  });
  await lease.acquire();
  return {
    store: createDeploymentStore({ db, clock, ids: createIds(clock), secrets, lease }),
    seed: {
      instance: (row) => insertInstanceRow(db, row, clock.now()),
      operation: (row) => insertOperationRow(db, row, clock.now()),
    },
    operation: (id) =>
      db.selectFrom('operations').selectAll().where('id', '=', id).executeTakeFirst(),
    async amendOperation(id, patch) {
      await db
        .updateTable('operations')
        .set({ overrides: JSON.stringify(patch.overrides), reruns: patch.reruns })
        .where('id', '=', id)
        .execute();
    },
    async close() {
      await close();
      await testDb.drop();
    },
  };
});
