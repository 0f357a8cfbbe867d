import { z } from 'zod';

/** Bodies of the control API beyond the purchase itself (validated at the boundary). */

const corruptionSchema = z.object({
  signWithKey: z.string().min(1).optional(),
  skewMs: z.int().optional(),
  nonce: z.string().min(1).max(128).optional(),
  timestampUnit: z.enum(['ms', 's']).optional(),
  innerDigest: z.enum(['hmac', 'sha256']).optional(),
  tamper: z.enum(['value', 'whitespace', 'signature', 'omit-signature']).optional(),
});

const waitSchema = z.enum(['none', 'sent', 'answered', 'done'], {
  error: 'expected none, sent, answered or done',
});

export const callOptionsSchema = z.object({
  duplicates: z.int().min(1).max(10).optional(),
  resends: z.int().min(0).max(10).optional(),
  skewMs: z.int().optional(),
  corruption: corruptionSchema.optional(),
  testFlag: z.enum(['0', '1']).optional(),
  prettyBody: z.boolean().optional(),
  noRetry: z.boolean().optional(),
  protocol: z.enum(['v1', 'v2']).optional(),
  v2Body: z.enum(['thin', 'inline']).optional(),
  /** Which milestone the HTTP answer waits for (default: the first attempt). */
  wait: waitSchema.default('sent'),
  /** Longest the HTTP answer waits for that milestone (real time). */
  waitTimeoutMs: z.int().min(0).max(3_600_000).default(60_000),
});
export type CallOptionsBody = z.output<typeof callOptionsSchema>;

export const renewSchema = z.object({
  periodType: z.enum(['year', 'month', 'day', 'hour']).optional(),
  periodNumber: z.int().min(1).max(120).optional(),
  trialToFormal: z.boolean().optional(),
  scene: z
    .enum(['TRIAL_TO_FORMAL', 'RENEWAL', 'UNSUBSCRIBE_RENEWAL_PERIOD', 'RENEWAL_CHANGE'])
    .optional(),
});

export const upgradeSchema = z.object({
  skuCode: z.string('expected the new sku code').min(1).max(64),
  productId: z.string().min(1).max(64).optional(),
  linearValue: z.number().positive().optional(),
});

export const releaseSchema = z.object({ unsubscribe: z.boolean().optional() });

export const querySchema = z.object({
  /** More instances to query in the same call. */
  also: z.array(z.string().min(1)).max(99).default([]),
});

export const rawCallSchema = z.object({
  protocol: z.enum(['v1', 'v2'], { error: 'expected v1 or v2' }),
  activity: z.string('expected an activity name').min(1),
  fields: z.record(z.string(), z.unknown()).default({}),
});

/** A getLicenseAsync event (spec §7.1); the simulator fills what is left out. */
export const licenseEventSchema = z.object({
  eventId: z.string().min(1).max(64).optional(),
  deviceFingerprint: z.string().min(1).max(1024).optional(),
  effectiveTime: z.string().min(1).max(32).optional(),
  expireTime: z.string().min(1).max(32).optional(),
});

/** Scripted answers of the license upload API (spec §7.2), taken in order. */
export const uploadFaultsSchema = z.object({
  faults: z
    .array(
      z.union([
        z.object({
          host: z.string().min(1).optional(),
          status: z.union([
            z.literal(200),
            z.literal(400),
            z.literal(403),
            z.literal(500),
            z.literal(503),
          ]),
          code: z.string().min(1).max(16),
        }),
        z.object({
          host: z.string().min(1).optional(),
          hangMs: z.int().min(1).max(600_000),
        }),
      ]),
    )
    .min(1)
    .max(1000),
});
