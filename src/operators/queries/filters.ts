import { ActionError } from '../../platform/errors.js';

/**
 * Parses a `since` filter: an ISO date or time (`2026-03-01`, `2026-03-01T03:00:00Z`) or a
 * duration back from now (`90m`, `24h`, `7d`). Throws an InputError naming the field otherwise.
 */
export function parseSince(value: string, now: Date, field = 'since'): Date {
  const rel = /^(\d+)\s*(s|m|h|d|w)$/.exec(value.trim());
  if (rel) {
    const unit = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 }[rel[2] as 's'];
    return new Date(now.getTime() - Number(rel[1]) * unit);
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const at = new Date(value);
    if (!Number.isNaN(at.getTime())) return at;
  }
  throw new ActionError(
    'INVALID_REQUEST',
    `${field}: expected an ISO date or time (2026-03-01, 2026-03-01T03:00:00Z) or a duration such as 90m, 24h, 7d`,
  );
}

/** A page size between 1 and `max`. */
export function parseLimit(value: string | number | undefined, fallback: number, max = 500) {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new ActionError('INVALID_REQUEST', `limit: expected a whole number from 1 to ${max}`);
  return n;
}

export const iso = (d: Date | string | null | undefined): string | null =>
  d === null || d === undefined ? null : new Date(d).toISOString();
