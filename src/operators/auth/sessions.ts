import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/database.js';
import { inForce, type TokenIdentity } from './tokens.js';

/**
 * Dashboard sessions: signing in with an API token opens a session on the server; the browser
 * holds only its random id (256 bits), the table only that id's SHA-256, so neither a cookie
 * nor a database dump reveals a token. A session ends at logout, after `idleMs` unused, at
 * `maxMs` after sign-in, or when its token is revoked or expires.
 *
 * @example
 *   const { id } = await openSession(db, clock, who, limits);   // id goes into the cookie
 *   const who = await readSession(db, clock, id, limits);       // identity, or undefined
 */
export interface SessionLimits {
  idleMs: number;
  maxMs: number;
}

const hashOf = (id: string) => createHash('sha256').update(id, 'utf8').digest('hex');
const shape = /^[A-Za-z0-9_-]{43}$/;

export async function openSession(
  db: Db,
  clock: Clock,
  who: TokenIdentity,
  limits: SessionLimits,
): Promise<{ id: string }> {
  const id = randomBytes(32).toString('base64url');
  const now = clock.now();
  await db
    .insertInto('operator_sessions')
    .values({
      hash: hashOf(id),
      token_id: who.id,
      created_at: now,
      last_seen_at: now,
      expires_at: new Date(now.getTime() + limits.maxMs),
    })
    .execute();
  return { id };
}

/** The identity behind a session id, or undefined (unknown, ended, idle too long, token gone). */
export async function readSession(
  db: Db,
  clock: Clock,
  id: string | undefined,
  limits: SessionLimits,
): Promise<TokenIdentity | undefined> {
  if (!id || !shape.test(id)) return undefined;
  const row = await db
    .selectFrom('operator_sessions as s')
    .innerJoin('admin_tokens as t', 't.id', 's.token_id')
    .select([
      's.hash',
      's.last_seen_at',
      's.expires_at as session_expires_at',
      's.revoked_at as session_revoked_at',
      't.id',
      't.name',
      't.scope',
      't.revoked_at',
      't.expires_at',
    ])
    .where('s.hash', '=', hashOf(id))
    .executeTakeFirst();
  const now = clock.now();
  if (!row || row.session_revoked_at || !inForce(row, now)) return undefined;
  const seen = new Date(row.last_seen_at).getTime();
  if (now.getTime() >= new Date(row.session_expires_at).getTime()) return undefined;
  if (now.getTime() - seen >= limits.idleMs) return undefined;
  // One write a minute at most: the idle clock needs no finer grain.
  if (now.getTime() - seen > 60_000) {
    await db
      .updateTable('operator_sessions')
      .set({ last_seen_at: now })
      .where('hash', '=', row.hash)
      .execute();
  }
  return { id: row.id, name: row.name, scope: row.scope };
}

/** Ends a session (logout); ending an unknown or ended one is fine. */
export async function closeSession(db: Db, clock: Clock, id: string | undefined): Promise<void> {
  if (!id || !shape.test(id)) return;
  await db
    .updateTable('operator_sessions')
    .set({ revoked_at: clock.now() })
    .where('hash', '=', hashOf(id))
    .where('revoked_at', 'is', null)
    .execute();
}

/** Deletes sessions past their absolute end (run with the periodic maintenance). */
export async function purgeSessions(db: Db, now: Date): Promise<void> {
  await db.deleteFrom('operator_sessions').where('expires_at', '<', now).execute();
}
