import { z } from 'zod';
import type { ExtendParam } from './commands.js';

/** Field rules shared by both protocol generations (spec §4–5 maximum lengths). */
export const text = (max: number) =>
  z
    .string({ error: 'required, a string' })
    .min(1, 'must not be empty')
    .max(max, `at most ${max} characters`);

export const optionalText = (max: number) => text(max).optional();

export const instanceId = text(64);

/**
 * The marketplace's time forms (spec §4), all UTC: each field accepts the forms its row documents
 * and keeps the precision received (milliseconds when sent).
 */
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** The instant the parts name, or undefined when they name no real date (20230231…). */
function utcInstant(parts: string[]): Date | undefined {
  const [y, mo, d, h, mi, s, ms = 0] = parts.map(Number) as number[];
  const at = new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!, ms));
  const same =
    at.getUTCFullYear() === y &&
    at.getUTCMonth() === mo! - 1 &&
    at.getUTCDate() === d &&
    at.getUTCHours() === h &&
    at.getUTCMinutes() === mi &&
    at.getUTCSeconds() === s;
  return same ? at : undefined;
}

const compactPattern = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{3})?$/;
const spacedPattern =
  /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{3}))?(?: ?(?:z|Z|UTC|GMT|\+00:?00))?$/;

/** Parses `yyyyMMddHHmmss` (14) or `yyyyMMddHHmmssSSS` (17) as UTC; undefined when not a date. */
export function parseCompactTime(value: string): Date | undefined {
  const m = compactPattern.exec(value);
  return m ? utcInstant(m.slice(1).filter((p) => p !== undefined)) : undefined;
}

/**
 * Parses `yyyy-MM-dd HH:mm:ss` as UTC, optionally followed by a zone token that says UTC
 * (`z`, `Z`, `UTC`, `GMT`, `+00:00`), as getLicenseAsync's example `2023-10-27 10:30:15 z`.
 */
function parseSpacedTime(value: string): Date | undefined {
  const m = spacedPattern.exec(value);
  return m ? utcInstant(m.slice(1).filter((p) => p !== undefined)) : undefined;
}

/** `yyyyMMddHHmmss`, or with `millis` `yyyyMMddHHmmssSSS` (UTC), the forms answers use. */
export function formatCompactTime(at: Date, millis = false): string {
  const seconds =
    pad(at.getUTCFullYear(), 4) +
    pad(at.getUTCMonth() + 1) +
    pad(at.getUTCDate()) +
    pad(at.getUTCHours()) +
    pad(at.getUTCMinutes()) +
    pad(at.getUTCSeconds());
  return millis ? seconds + pad(at.getUTCMilliseconds(), 3) : seconds;
}

function timeField(accepts: RegExp, expected: string, parse: (v: string) => Date | undefined) {
  return z.string({ error: `expected ${expected} (UTC)` }).transform((v, ctx) => {
    const at = accepts.test(v) ? parse(v) : undefined;
    if (!at) {
      ctx.addIssue({ code: 'custom', message: `expected ${expected} (UTC), a real date` });
      return z.NEVER;
    }
    return at;
  });
}

/** `yyyyMMddHHmmss` (14 digits): V1 expireTime, the order query API's times, refreshLicenseCode. */
export const compactTime = timeField(/^\d{14}$/, 'yyyyMMddHHmmss', parseCompactTime);

/** `yyyyMMddHHmmssSSS` (17 digits): V1 timeStamp, usage statisticalTime. */
export const compactTimeMs = timeField(/^\d{17}$/, 'yyyyMMddHHmmssSSS', parseCompactTime);

/**
 * 14 or 17 digits: V2 refreshInstance `expireTime` (table says 14, the example sends 17) and the
 * inline V2 newInstance times.
 */
export const compactTimeEitherPrecision = timeField(
  /^\d{14}(\d{3})?$/,
  'yyyyMMddHHmmss or yyyyMMddHHmmssSSS',
  parseCompactTime,
);

/** getLicenseAsync `effectiveTime` / `expireTime`: `yyyy-MM-dd HH:mm:ss` plus an optional UTC token. */
export const spacedUtcTime = timeField(/./, 'yyyy-MM-dd HH:mm:ss [z]', parseSpacedTime);

/**
 * getLicenseAsync times (spec §4): `yyyy-MM-dd HH:mm:ss` in UTC, then an optional zone token
 * (`z`, `Z`, `UTC`, `GMT`, `+00:00`), as the documented example `2023-10-27 10:30:15 z`.
 */
export const licenseTime = z
  .string({ error: 'required, a string' })
  .max(32, 'at most 32 characters')
  .regex(
    /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\s*(z|Z|UTC|GMT|\+00:00))?$/,
    'expected yyyy-MM-dd HH:mm:ss UTC, e.g. 2023-10-27 10:30:15 z',
  )
  .transform((v, ctx) => {
    const at = new Date(`${v.slice(0, 10)}T${v.slice(11, 19)}Z`);
    if (
      Number.isNaN(at.getTime()) ||
      at.toISOString().slice(0, 19) !== `${v.slice(0, 10)}T${v.slice(11, 19)}`
    ) {
      ctx.addIssue({ code: 'custom', message: 'not a real date (yyyy-MM-dd HH:mm:ss)' });
      return z.NEVER;
    }
    return at;
  });

export const testFlag = z
  .union([z.literal('0'), z.literal('1'), z.literal(0), z.literal(1)], { error: 'expected 0 or 1' })
  .optional()
  .transform((v) => v === '1' || v === 1);

export const flag01 = z.enum(['0', '1'], { error: 'expected 0 or 1' }).optional();

export const digits = z.string().regex(/^\d{1,9}$/, 'expected a whole number');

export const amount = z.string().regex(/^-?\d{1,15}(\.\d{1,6})?$/, 'expected a decimal amount');

export const extendParamList = z
  .array(
    z.object({
      name: z.string({ error: 'each item needs a string name' }).min(1).max(128),
      value: z.union([z.string(), z.number(), z.boolean()]).transform(String),
    }),
    { error: 'expected a list of {name, value}' },
  )
  .max(10, 'at most 10 extension parameters');

/** V1 `saasExtendParams`: base64(JSON [{name, value}]), already URL-decoded. */
export const base64ExtendParams = z.string().transform((v, ctx): ExtendParam[] => {
  const normalized = v.replace(/-/g, '+').replace(/_/g, '/').replace(/\s/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(normalized) || normalized.length % 4 === 1) {
    ctx.addIssue({ code: 'custom', message: 'not base64' });
    return z.NEVER;
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(normalized, 'base64').toString('utf8'));
  } catch {
    ctx.addIssue({ code: 'custom', message: 'base64 does not hold JSON' });
    return z.NEVER;
  }
  const parsed = extendParamList.safeParse(json);
  if (!parsed.success) {
    ctx.addIssue({
      code: 'custom',
      message: `expected base64 JSON [{"name", "value"}]: ${parsed.error.issues[0]?.message}`,
    });
    return z.NEVER;
  }
  return parsed.data;
});

/** Turns zod issues into a resultMsg naming each field and what is expected. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : 'body'}: ${i.message}`)
    .join('; ');
}
