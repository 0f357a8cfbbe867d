import type { Transaction } from 'kysely';
import { instanceSecretPurposes } from '../../deployments/model/instance-secrets.js';
import type { Db } from '../../platform/db/database.js';
import type { Database } from '../../platform/db/schema.js';
import type { SecretBox } from '../../platform/secrets.js';

/**
 * Every secret sealed at rest, with the purpose it is bound to: what a master key rotation
 * re-seals. A new sealed column is added here, or `kgd keys rotate-master` leaves it behind.
 */
const sealedColumns = [
  {
    name: 'instances.app_password_sealed',
    table: 'instances',
    key: 'id',
    column: 'app_password_sealed',
    purpose: (id: string) => instanceSecretPurposes.appPassword(id),
  },
  {
    name: 'instances.root_password_sealed',
    table: 'instances',
    key: 'id',
    column: 'root_password_sealed',
    purpose: (id: string) => instanceSecretPurposes.rootPassword(id),
  },
  {
    name: 'instances.private_sealed',
    table: 'instances',
    key: 'id',
    column: 'private_sealed',
    purpose: (id: string) => instanceSecretPurposes.private(id),
  },
  {
    name: 'inbox.raw_sealed',
    table: 'inbox',
    key: 'id',
    column: 'raw_sealed',
    purpose: () => 'inbox:raw',
  },
  {
    name: 'secrets.sealed',
    table: 'secrets',
    key: 'name',
    column: 'sealed',
    purpose: (name: string) => name,
  },
] as const;

export interface RotationReport {
  /** The master key everything is sealed under now. */
  keyId: string;
  /** Values re-sealed (or, with dryRun, still to re-seal), per column. */
  resealed: Record<string, number>;
  total: number;
  dryRun: boolean;
}

const BATCH = 500;

/**
 * Re-seals every secret not yet under the current master key (KGD_MASTER_KEY), opening it with
 * the key it names (KGD_MASTER_KEY_PREVIOUS): all in one transaction, so an interruption changes
 * nothing and a reader never meets a half-rotated database. Resumable: it touches only what is
 * not under the current key, so running it again after an interruption, or after a replica still
 * on the old key sealed something more, finishes the job; once done it re-seals nothing.
 *
 * @example
 *   const report = await rotateMasterKey(db, box);   // { resealed: { 'inbox.raw_sealed': 120, … } }
 */
export async function rotateMasterKey(
  db: Db,
  box: SecretBox,
  options: { dryRun?: boolean } = {},
): Promise<RotationReport> {
  const dryRun = options.dryRun ?? false;
  const current = `kgd1.${box.keyId}.%`;
  return db.transaction().execute(async (tx) => {
    const resealed: Record<string, number> = {};
    for (const c of sealedColumns)
      resealed[c.name] = await resealColumn(tx, box, c, current, dryRun);
    const total = Object.values(resealed).reduce((a, b) => a + b, 0);
    return { keyId: box.keyId, resealed, total, dryRun };
  });
}

async function resealColumn(
  tx: Transaction<Database>,
  box: SecretBox,
  c: (typeof sealedColumns)[number],
  current: string,
  dryRun: boolean,
): Promise<number> {
  // Dynamic table and column names: the closed list above, never input.
  const t = tx as unknown as Transaction<Record<string, Record<string, string | null>>>;
  let after: string | null = null;
  let count = 0;
  for (;;) {
    const rows: Array<Record<string, string | null>> = await t
      .selectFrom(c.table)
      .select([c.key, c.column])
      .where(c.column, 'is not', null)
      .where(c.column, 'not like', current)
      .$if(after !== null, (q) => q.where(c.key, '>', after))
      .orderBy(c.key)
      .limit(BATCH)
      .forUpdate()
      .execute();
    for (const row of rows) {
      const id = String(row[c.key]);
      const sealed = row[c.column] as string;
      // Opening proves the old key is known and the value intact before anything is written.
      const plain = box.openBuffer(sealed, c.purpose(id));
      if (!dryRun)
        await t
          .updateTable(c.table)
          .set({ [c.column]: box.seal(plain, c.purpose(id)) })
          .where(c.key, '=', id)
          .execute();
      count++;
    }
    if (rows.length < BATCH) return count;
    after = String(rows[rows.length - 1]![c.key]);
  }
}
