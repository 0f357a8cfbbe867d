import type { Context } from 'hono';
import type { z } from 'zod';
import type { SimEnv } from './context.js';
import { badParamCode, fromZod, SimHttpError, styleOf } from './sim-errors.js';

/** The request body (already read by the signature check), parsed and validated. */
export function readBody<S extends z.ZodType>(c: Context<SimEnv>, schema: S): z.output<S> {
  const style = styleOf(c.get('api'));
  const raw = c.get('rawBody') ?? '';
  let parsed: unknown;
  try {
    parsed = raw.trim() === '' ? {} : JSON.parse(raw);
  } catch {
    throw new SimHttpError(400, badParamCode(style), 'request body is illegal: not JSON');
  }
  const result = schema.safeParse(parsed);
  if (!result.success) throw fromZod(style, result.error);
  return result.data;
}

/** Canonical JSON (sorted keys), so the same body always hashes the same. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
