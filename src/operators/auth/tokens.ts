import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/database.js';
import type { TokenScope } from '../../platform/db/schema.js';
import { ActionError } from '../../platform/errors.js';
import { iso } from '../queries/filters.js';

/**
 * Operator API tokens: `kgd_<id>_<secret>`. Only a SHA-256 of the whole token is stored, so a
 * database dump reveals none; the id finds the row, the hash is compared in constant time.
 * `operate` includes `read`.
 *
 * @example
 *   const { token } = await createToken(db, clock, { name: 'ops-alice', scope: 'operate', createdBy: 'cli:root' });
 *   const who = await verifyToken(db, clock, token); // { id, name, scope } or undefined
 */
const tokenScopes = ['read', 'operate'] as const;

export interface TokenIdentity {
  id: string;
  name: string;
  scope: TokenScope;
}

export interface TokenView extends TokenIdentity {
  createdAt: string;
  createdBy: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  expiresAt: string | null;
}

const hashOf = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');
const shape = /^kgd_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export function satisfies(have: TokenScope, need: TokenScope): boolean {
  return need === 'read' || have === 'operate';
}

export async function createToken(
  db: Db,
  clock: Clock,
  input: { name: string; scope: string; createdBy: string; expiresAt?: Date | undefined },
): Promise<{ token: string; expiresAt: string | null } & TokenIdentity> {
  if (!/^[A-Za-z0-9_.@-]{1,64}$/.test(input.name))
    throw new ActionError('INVALID_REQUEST', 'name: expected 1-64 letters, digits, _ . @ -');
  if (!tokenScopes.includes(input.scope as TokenScope))
    throw new ActionError('INVALID_REQUEST', `scope: expected read or operate, got ${input.scope}`);
  if (input.expiresAt && input.expiresAt.getTime() <= clock.now().getTime())
    throw new ActionError('INVALID_REQUEST', 'expiry: expected a time in the future');
  const id = randomBytes(6).toString('hex');
  const token = `kgd_${id}_${randomBytes(32).toString('base64url')}`;
  const inserted = await db
    .insertInto('admin_tokens')
    .values({
      id,
      name: input.name,
      scope: input.scope as TokenScope,
      hash: hashOf(token),
      created_at: clock.now(),
      created_by: input.createdBy,
      expires_at: input.expiresAt ?? null,
    })
    .onConflict((oc) => oc.column('name').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted)
    throw new ActionError(
      'INVALID_REQUEST',
      `name: a token named ${input.name} exists (revoke it or pick another)`,
    );
  return {
    token,
    id,
    name: input.name,
    scope: input.scope as TokenScope,
    expiresAt: iso(input.expiresAt ?? null),
  };
}

/** A token row still in force at `now`: not revoked, not expired. */
export const inForce = (
  row: { revoked_at: unknown; expires_at: Date | string | null },
  now: Date,
) => !row.revoked_at && (!row.expires_at || new Date(row.expires_at).getTime() > now.getTime());

/**
 * The identity behind a bearer token, or undefined (malformed, unknown, revoked, expired, wrong
 * secret).
 */
export async function verifyToken(
  db: Db,
  clock: Clock,
  token: string | undefined,
): Promise<TokenIdentity | undefined> {
  const m = token ? shape.exec(token) : null;
  if (!m) return undefined;
  const row = await db
    .selectFrom('admin_tokens')
    .selectAll()
    .where('id', '=', m[1]!)
    .executeTakeFirst();
  const now = clock.now();
  if (!row || !inForce(row, now)) return undefined;
  const a = Buffer.from(hashOf(token!), 'hex');
  const b = Buffer.from(row.hash, 'hex');
  if (a.length !== b.length || !timingSafeEqual(a, b)) return undefined;
  // One write a minute per token at most: last use is for spotting stale tokens, not auditing.
  if (!row.last_used_at || now.getTime() - new Date(row.last_used_at).getTime() > 60_000) {
    await db
      .updateTable('admin_tokens')
      .set({ last_used_at: now })
      .where('id', '=', row.id)
      .execute();
  }
  return { id: row.id, name: row.name, scope: row.scope };
}

export async function listTokens(db: Db): Promise<TokenView[]> {
  const rows = await db.selectFrom('admin_tokens').selectAll().orderBy('created_at').execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    scope: r.scope,
    createdAt: iso(r.created_at)!,
    createdBy: r.created_by,
    lastUsedAt: iso(r.last_used_at),
    revokedAt: iso(r.revoked_at),
    expiresAt: iso(r.expires_at),
  }));
}

/** Revokes by name or id, with every dashboard session signed in with it; twice is fine. */
export async function revokeToken(db: Db, clock: Clock, nameOrId: string): Promise<TokenIdentity> {
  const row = await db
    .selectFrom('admin_tokens')
    .selectAll()
    .where((eb) => eb.or([eb('name', '=', nameOrId), eb('id', '=', nameOrId)]))
    .executeTakeFirst();
  if (!row) throw new ActionError('NOT_FOUND', `no token named ${nameOrId}`);
  if (!row.revoked_at) {
    await db.transaction().execute(async (tx) => {
      await tx
        .updateTable('admin_tokens')
        .set({ revoked_at: clock.now() })
        .where('id', '=', row.id)
        .execute();
      await tx
        .updateTable('operator_sessions')
        .set({ revoked_at: clock.now() })
        .where('token_id', '=', row.id)
        .where('revoked_at', 'is', null)
        .execute();
    });
  }
  return { id: row.id, name: row.name, scope: row.scope };
}
