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

/** `yyyyMMddHHmmss`, taken as UTC (the documentation gives no zone; V1 timeStamp is UTC). */
export const compactTime = z
  .string()
  .regex(/^\d{14}$/, 'expected yyyyMMddHHmmss')
  .transform((v, ctx) => {
    const at = new Date(
      `${v.slice(0, 4)}-${v.slice(4, 6)}-${v.slice(6, 8)}T${v.slice(8, 10)}:${v.slice(10, 12)}:${v.slice(12, 14)}Z`,
    );
    if (Number.isNaN(at.getTime()) || at.toISOString().slice(0, 19).replace(/\D/g, '') !== v) {
      ctx.addIssue({ code: 'custom', message: 'not a real date (yyyyMMddHHmmss)' });
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
