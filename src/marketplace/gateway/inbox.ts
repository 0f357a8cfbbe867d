import { sql, type Transaction } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { Database } from '../../platform/db/schema.js';

export async function purgeReplayGuard(db: Db, now: Date): Promise<number> {
  const result = await db
    .deleteFrom('replay_guard')
    .where('expires_at', '<', now)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export interface InboxRecord {
  received_at: Date;
  protocol: 'v1' | 'v2';
  method: string;
  activity: string | null;
  raw_sealed: string;
  parsed: Record<string, unknown> | null;
  idempotency_key: string | null;
  duplicate: boolean;
  instance_id: string | null;
  operation_id: string | null;
  test: boolean;
  key_index: number;
  result_code: string;
  answer: string;
  duration_ms: number;
}

/** The answer sent was 000005 (deadline) but the transaction committed after all. */
export async function markAnsweredLate(db: Db, inboxId: string): Promise<void> {
  await sql`UPDATE inbox SET answered_late = true WHERE id = ${inboxId}`.execute(db);
}

/**
 * Remembers the call's nonce (or authToken) and records it in the inbox, in one statement: the
 * row is only written if the nonce is fresh. Returns undefined for a replay, and the caller rolls
 * the whole transaction back, so a replayed call has no effect at all.
 */
export async function recordCall(
  tx: Transaction<Database>,
  guard: { scope: string; nonce: string; expiresAt: Date; now: Date },
  row: InboxRecord,
): Promise<string | undefined> {
  const { rows } = await sql<{ id: string }>`
    WITH guard AS (
      INSERT INTO replay_guard (scope, nonce, expires_at)
      VALUES (${guard.scope}, ${guard.nonce}, ${guard.expiresAt})
      ON CONFLICT (scope, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at
        WHERE replay_guard.expires_at < ${guard.now}
      RETURNING 1
    )
    INSERT INTO inbox (received_at, protocol, method, activity, raw_sealed, parsed, idempotency_key,
      duplicate, instance_id, operation_id, test, key_index, result_code, answer, duration_ms)
    SELECT ${row.received_at}, ${row.protocol}, ${row.method}, ${row.activity}, ${row.raw_sealed},
      ${row.parsed === null ? null : JSON.stringify(row.parsed)}::jsonb, ${row.idempotency_key},
      ${row.duplicate}, ${row.instance_id}, ${row.operation_id}, ${row.test}, ${row.key_index},
      ${row.result_code}, ${row.answer}, ${row.duration_ms}
    WHERE EXISTS (SELECT 1 FROM guard)
    RETURNING id`.execute(tx);
  return rows[0]?.id;
}
