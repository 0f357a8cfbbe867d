import { z } from 'zod';

/**
 * What an operator may change when rerunning an operation, one schema for every surface: the admin
 * API body extends it, CLI flags and the dashboard form parse through it, the plan applies it.
 *
 * @example
 *   const o = Overrides.parse({ flavor: 's6.large.2', sshPort: '2222' }); // { flavor, sshPort: 2222 }
 */
const Name = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected 1-64 letters, digits, . _ -');

export const Overrides = z
  .object({
    flavor: Name,
    az: Name,
    imageId: Name,
    templateVersion: Name,
    sshPort: z.coerce
      .number()
      .int('expected a port between 1 and 65535')
      .min(1, 'expected a port between 1 and 65535')
      .max(65535, 'expected a port between 1 and 65535'),
  })
  .partial();

export type Overrides = z.infer<typeof Overrides>;

/** Every key of `Overrides`: the plan decides them, so a rerun that changes one starts there. */
export const overrideKeys = Object.keys(Overrides.shape) as Array<keyof Overrides>;

const Reason = z
  .string()
  .trim()
  .min(1, 'required for every change (it goes to the audit log)')
  .max(500, 'at most 500 characters');

const StepName = z
  .string()
  .trim()
  .regex(/^[a-z0-9-]{1,64}$/, 'expected a step name such as create-server');

/** A rerun as operators ask for it (admin API body, CLI flags, dashboard form). */
export const RerunRequest = Overrides.extend({ reason: Reason, from: StepName.optional() });
export type RerunRequest = z.infer<typeof RerunRequest>;

/** Drops empty values (an untouched form field) before parsing. */
export function withoutBlanks(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(input).filter(([, v]) => v !== undefined && v !== null && v !== ''),
  );
}
