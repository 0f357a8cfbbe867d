import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/database.js';
import { type TokenIdentity, verifyToken } from '../auth/tokens.js';

const sessionCookie = 'kgd_session';
export type DashboardEnv = { Variables: { operator: TokenIdentity; csrf: string } };

/**
 * The form token that proves a POST comes from a dashboard page: derived from the session's
 * token, so it needs no storage. With the SameSite=Strict cookie it stops cross-site requests.
 */
export const csrfOf = (token: string) =>
  createHash('sha256').update(`kgd-dashboard-csrf:${token}`).digest('base64url').slice(0, 32);

export function checkCsrf(c: Context<DashboardEnv>, sent: unknown): boolean {
  const want = Buffer.from(c.var.csrf);
  const got = Buffer.from(typeof sent === 'string' ? sent : '');
  return want.length === got.length && timingSafeEqual(want, got);
}

/** Sets the session cookie: HttpOnly, SameSite=Strict, Secure behind https, for /dashboard only. */
export function startSession(c: Context, token: string): void {
  const https =
    new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';
  setCookie(c, sessionCookie, token, {
    path: '/dashboard',
    httpOnly: true,
    sameSite: 'Strict',
    secure: https,
    maxAge: 12 * 3600,
  });
}

export function endSession(c: Context): void {
  deleteCookie(c, sessionCookie, { path: '/dashboard' });
}

/** Pages: no valid session goes to the login page (the SSE stream answers 401 instead). */
export function requireSession(
  deps: { db: Db; clock: Clock },
  options: { api?: boolean } = {},
): MiddlewareHandler<DashboardEnv> {
  return async (c, next) => {
    const token = getCookie(c, sessionCookie);
    const who = token ? await verifyToken(deps.db, deps.clock, token) : undefined;
    if (!who || !token) {
      if (options.api || c.req.method !== 'GET') return c.text('login required', 401);
      const back = encodeURIComponent(new URL(c.req.url).pathname + new URL(c.req.url).search);
      return c.redirect(`/dashboard/login?next=${back}`, 303);
    }
    c.set('operator', who);
    c.set('csrf', csrfOf(token));
    await next();
  };
}
