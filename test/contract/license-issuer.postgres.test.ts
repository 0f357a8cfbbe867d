import { randomBytes } from 'node:crypto';
import { createLicenseIssuer } from '../../src/licenses/license-store.js';
import { loadOrCreateSigningKey } from '../../src/licenses/signing-key.js';
import { openDatabase } from '../../src/platform/db/database.js';
import { createIds } from '../../src/platform/ids.js';
import { createSilentLogger } from '../../src/platform/logger.js';
import { createSecretBox } from '../../src/platform/secrets.js';
import { createTestDatabase } from '../support/database.js';
import { insertInstanceRow } from '../support/store-rows.js';
import { describeLicenseIssuerContract } from './license-issuer.contract.js';

describeLicenseIssuerContract('createLicenseIssuer over PostgreSQL', async (clock) => {
  const testDb = await createTestDatabase('kgd_contract_licenses');
  const { db, close } = await openDatabase({
    url: testDb.url,
    poolSize: 2,
    logger: createSilentLogger(),
  });
  const key = await loadOrCreateSigningKey({
    db,
    secretBox: createSecretBox(randomBytes(32)),
    clock,
  });
  return {
    licenses: createLicenseIssuer({ db, key, clock, ids: createIds(clock) }),
    addInstance: (id) => insertInstanceRow(db, { id, status: 'deploying' }, clock.now()),
    licensesOf: (instanceId) =>
      db
        .selectFrom('licenses')
        .select(['id', 'revoked_at'])
        .where('instance_id', '=', instanceId)
        .orderBy('id')
        .execute(),
    async close() {
      await close();
      await testDb.drop();
    },
  };
});
