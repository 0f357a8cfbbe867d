import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/database.js';
import type { Database } from '../platform/db/schema.js';
import type { SecretBox } from '../platform/secrets.js';
import { keyIdOf } from './license-token.js';

/** The key that signs new licenses. */
const CURRENT = 'license-signing-key';
/** Earlier keys, still published so that the licenses they signed keep verifying: `@<kid>`. */
const EARLIER = `${CURRENT}@`;

export interface LicenseSigningKey {
  /** Key id: written into each license it signs (`kid`), so a verifier picks the right key. */
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicKeyPem: string;
}

export interface PublishedKey {
  kid: string;
  publicKeyPem: string;
  /** The key new licenses are signed with; the others verify what they signed earlier. */
  current: boolean;
}

function fromPem(pem: string): LicenseSigningKey {
  const privateKey = createPrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  return {
    kid: keyIdOf(publicKey),
    privateKey,
    publicKey,
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

const newPem = () =>
  generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

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
    .where('name', '=', CURRENT)
    .executeTakeFirst();
  if (!existing) {
    const now = clock.now();
    await db
      .insertInto('secrets')
      .values({
        name: CURRENT,
        sealed: secretBox.seal(newPem(), CURRENT),
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    return loadOrCreateSigningKey(deps);
  }
  return fromPem(secretBox.open(existing.sealed, CURRENT));
}

/** Every published key: the current one first, then the earlier ones still verifying licenses. */
export async function publishedKeys(
  db: Kysely<Database>,
  secretBox: SecretBox,
): Promise<PublishedKey[]> {
  const rows = await db
    .selectFrom('secrets')
    .select(['name', 'sealed', 'created_at'])
    .where((eb) => eb.or([eb('name', '=', CURRENT), eb('name', 'like', `${EARLIER}%`)]))
    .orderBy('created_at', 'desc')
    .execute();
  return rows
    .map((r) => {
      const key = fromPem(secretBox.open(r.sealed, r.name));
      return { kid: key.kid, publicKeyPem: key.publicKeyPem, current: r.name === CURRENT };
    })
    .sort((a, b) => Number(b.current) - Number(a.current));
}

/**
 * Starts a license key rotation: a new key signs from now on; the previous one stays published
 * (`kgd license public-key` prints both) until retired. One transaction; replicas pick the new
 * key up at their next start (until then they sign with the previous one, still published).
 */
export async function rotateSigningKey(deps: {
  db: Db;
  secretBox: SecretBox;
  clock: Clock;
}): Promise<{ kid: string; previous: string }> {
  const { db, secretBox, clock } = deps;
  await loadOrCreateSigningKey(deps);
  return db.transaction().execute(async (tx) => {
    const row = await tx
      .selectFrom('secrets')
      .select(['sealed', 'created_at'])
      .where('name', '=', CURRENT)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const pem = secretBox.open(row.sealed, CURRENT);
    const previous = fromPem(pem);
    const now = clock.now();
    await tx
      .insertInto('secrets')
      .values({
        name: `${EARLIER}${previous.kid}`,
        sealed: secretBox.seal(pem, `${EARLIER}${previous.kid}`),
        created_at: row.created_at,
        updated_at: now,
      })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const next = newPem();
    await tx
      .updateTable('secrets')
      .set({ sealed: secretBox.seal(next, CURRENT), created_at: now, updated_at: now })
      .where('name', '=', CURRENT)
      .execute();
    return { kid: fromPem(next).kid, previous: previous.kid };
  });
}

/**
 * Ends a rotation: the earlier key `kid` is no longer published, so licenses it signed stop
 * verifying. The current key cannot be retired (rotate first).
 */
export async function retireSigningKey(
  tx: Transaction<Database> | Kysely<Database>,
  kid: string,
): Promise<'retired' | 'unknown'> {
  const r = await tx
    .deleteFrom('secrets')
    .where('name', '=', `${EARLIER}${kid}`)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0 ? 'retired' : 'unknown';
}
