import type { z } from 'zod';

/** Bad input to the simulator (control API body, CLI option): each issue names its field. */
export class InputError extends Error {
  override name = 'InputError';
  constructor(readonly issues: Array<{ field: string; message: string }>) {
    super(issues.map((i) => `${i.field}: ${i.message}`).join('; '));
  }
}

/** Parses with a zod schema; throws an InputError whose issues name each bad field. */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  prefix = '',
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new InputError(
    result.error.issues.map((issue) => ({
      field: prefix + (issue.path.length ? issue.path.join('.') : '(body)'),
      message: issue.message,
    })),
  );
}
