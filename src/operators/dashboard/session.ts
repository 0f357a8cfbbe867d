import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/database.js';
import { closeSession, openSession, readSession, type SessionLimits } from '../auth/sessions.js';
import type { TokenIdentity } from '../auth/tokens.js';

const sessionCookie = 'kgd_session';
const loginCookie = 'kgd_login';
export type DashboardEnv = { Variables: { operator: TokenIdentity; csrf: string } };

/** How the dashboard's cookies are set: `secure` whenever the service is reached over https. */
export interface SessionSettings extends SessionLimits {
  secureCookies: boolean;
}

/**
 * The form token that proves a POST comes from a dashboard page: derived from the session id
 * (a secret only the browser and this service know), so it needs no storage. With the
 * SameSite=Strict cookie it stops cross-site requests.
 */
export const csrfOf = (sessionId: string) =>
  createHash('sha256').update(`kgd-dashboard-csrf:${sessionId}`).digest('base64url').slice(0, 32);

const same = (want: string, sent: unknown) => {
  const a = Buffer.from(want);
  const b = Buffer.from(typeof sent === 'string' ? sent : '');
  return a.length === b.length && timingSafeEqual(a, b);
};

export function checkCsrf(c: Context<DashboardEnv>, sent: unknown): boolean {
  return same(c.var.csrf, sent);
}

const secure = (c: Context, settings: SessionSettings) =>
  settings.secureCookies || new URL(c.req.url).protocol === 'https:';

/**
 * The login form's CSRF token (double submit): a random value in a cookie scoped to the login
 * path and the same value in the form. A cross-site page can post the form but cannot read or
 * set the cookie, so it cannot sign a browser in under the attacker's token.
 */
export function issueLoginToken(c: Context, settings: SessionSettings): string {
  const value = randomBytes(24).toString('base64url');
  setCookie(c, loginCookie, value, {
    path: '/dashboard/login',
    httpOnly: true,
    sameSite: 'Strict',
    secure: secure(c, settings),
    maxAge: 3600,
  });
  return value;
}

export function checkLoginToken(c: Context, sent: unknown): boolean {
  const want = getCookie(c, loginCookie);
  return want !== undefined && want.length > 0 && same(want, sent);
}

/**
 * Opens a server-side session for `who` and sets its cookie: HttpOnly, SameSite=Strict, Secure
 * behind https, for /dashboard only, no longer than the session's absolute end.
 */
export async function startSession(
  c: Context,
  deps: { db: Db; clock: Clock; sessions: SessionSettings },
  who: TokenIdentity,
): Promise<void> {
  const { id } = await openSession(deps.db, deps.clock, who, deps.sessions);
  deleteCookie(c, loginCookie, { path: '/dashboard/login' });
  setCookie(c, sessionCookie, id, {
    path: '/dashboard',
    httpOnly: true,
    sameSite: 'Strict',
    secure: secure(c, deps.sessions),
    maxAge: Math.floor(deps.sessions.maxMs / 1000),
  });
}

/** Logout: the session ends on the server (a copied cookie is worthless) and in the browser. */
export async function endSession(c: Context, deps: { db: Db; clock: Clock }): Promise<void> {
  await closeSession(deps.db, deps.clock, getCookie(c, sessionCookie));
  deleteCookie(c, sessionCookie, { path: '/dashboard' });
}

/** Pages: no valid session goes to the login page (the SSE stream answers 401 instead). */
export function requireSession(
  deps: { db: Db; clock: Clock; sessions: SessionSettings },
  options: { api?: boolean } = {},
): MiddlewareHandler<DashboardEnv> {
  return async (c, next) => {
    const id = getCookie(c, sessionCookie);
    const who = await readSession(deps.db, deps.clock, id, deps.sessions);
    if (!who || !id) {
      if (options.api || c.req.method !== 'GET') return c.text('login required', 401);
      const back = encodeURIComponent(new URL(c.req.url).pathname + new URL(c.req.url).search);
      return c.redirect(`/dashboard/login?next=${back}`, 303);
    }
    c.set('operator', who);
    c.set('csrf', csrfOf(id));
    await next();
  };
}

/**
 * The posted form, or an empty one when the body is not a readable form (broken multipart,
 * wrong type): the CSRF check then refuses it with 403, never a 500.
 */
export async function readForm(
  c: Context,
  options?: { all: boolean },
): Promise<Record<string, string | File | (string | File)[]>> {
  try {
    return await c.req.parseBody(options);
  } catch {
    return {};
  }
}
