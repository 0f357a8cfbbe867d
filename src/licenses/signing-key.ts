import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/database.js';
import type { SecretBox } from '../platform/secrets.js';

const SECRET_NAME = 'license-signing-key';

export interface LicenseSigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicKeyPem: string;
}

/**
 * The Ed25519 key that signs every license: created once per deployment of the service (the first
 * replica to start wins; the others read it), stored sealed under the master key.
 */
export async function loadOrCreateSigningKey(deps: {
  db: Db;
  secretBox: SecretBox;
  clock: Clock;
}): Promise<LicenseSigningKey> {
  const { db, secretBox, clock } = deps;
  const existing = await db
    .selectFrom('secrets')
    .select('sealed')
    .where('name', '=', SECRET_NAME)
    .executeTakeFirst();
  if (!existing) {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const now = clock.now();
    await db
      .insertInto('secrets')
      .values({
        name: SECRET_NAME,
        sealed: secretBox.seal(pem, SECRET_NAME),
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    return loadOrCreateSigningKey(deps);
  }
  const privateKey = createPrivateKey(secretBox.open(existing.sealed, SECRET_NAME));
  const publicKey = createPublicKey(privateKey);
  return {
    privateKey,
    publicKey,
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}
