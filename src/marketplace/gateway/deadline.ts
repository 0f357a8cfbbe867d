import type { Transaction } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { Database } from '../../platform/db/schema.js';

class Abandoned extends Error {}

export type DeadlineResult<T> =
  | { status: 'ok'; value: T }
  | { status: 'timeout' }
  | { status: 'error'; error: Error };

/**
 * Runs `work` in a transaction that must finish within `deadlineMs`. When the deadline passes the
 * caller answers at once; the transaction is then rolled back at its next step (it checks before
 * COMMIT), so nothing is half-written. If COMMIT was already in flight and succeeds, `onLateCommit`
 * is told, so the stored answer can be marked as not the one sent.
 */
export async function runWithDeadline<T>(
  db: Db,
  deadlineMs: number,
  work: (tx: Transaction<Database>) => Promise<T>,
  onLateCommit: (value: T) => void,
): Promise<DeadlineResult<T>> {
  let abandoned = false;
  let timer: NodeJS.Timeout | undefined;
  const tx = db.transaction().execute(async (t) => {
    const value = await work(t);
    if (abandoned) throw new Abandoned();
    return value;
  });
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), Math.max(0, deadlineMs));
  });
  try {
    const winner = await Promise.race([tx, timeout]);
    if (winner === 'timeout') {
      abandoned = true;
      tx.then(onLateCommit, () => {});
      return { status: 'timeout' };
    }
    return { status: 'ok', value: winner as T };
  } catch (error) {
    return { status: 'error', error: error as Error };
  } finally {
    clearTimeout(timer);
  }
}
