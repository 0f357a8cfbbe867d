/**
 * The marketplace's time formats, all in UTC: V1 `timeStamp` (`yyyyMMddHHmmssSSS`), order and
 * expiry times (`yyyyMMddHHmmss`), and the period arithmetic behind `expireTime`.
 */

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `yyyyMMddHHmmss` in UTC, as in `expireTime` and the order query API's `createTime`. */
export function formatOrderTime(at: Date): string {
  return (
    pad(at.getUTCFullYear(), 4) +
    pad(at.getUTCMonth() + 1) +
    pad(at.getUTCDate()) +
    pad(at.getUTCHours()) +
    pad(at.getUTCMinutes()) +
    pad(at.getUTCSeconds())
  );
}

/** `yyyyMMddHHmmssSSS` in UTC: V1 `timeStamp`, V2 refreshInstance `expireTime`. */
export function formatV1TimeStamp(at: Date): string {
  return formatOrderTime(at) + pad(at.getUTCMilliseconds(), 3);
}

/** Parses `yyyyMMddHHmmss` (UTC); undefined when malformed. */
export function parseOrderTime(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  const at = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

export type PeriodType = 'year' | 'month' | 'day' | 'hour';

/**
 * `from` plus `count` periods, calendar-aware for months and years (Jan 31 + 1 month = Feb 28/29,
 * as billing systems clamp to the month's last day).
 */
export function addPeriod(from: Date, periodType: PeriodType, count: number): Date {
  const at = new Date(from.getTime());
  switch (periodType) {
    case 'hour':
      return new Date(at.getTime() + count * 3_600_000);
    case 'day':
      return new Date(at.getTime() + count * 86_400_000);
    case 'month':
    case 'year': {
      const months = periodType === 'year' ? count * 12 : count;
      const day = at.getUTCDate();
      at.setUTCDate(1);
      at.setUTCMonth(at.getUTCMonth() + months);
      const last = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 0)).getUTCDate();
      at.setUTCDate(Math.min(day, last));
      return at;
    }
  }
}
