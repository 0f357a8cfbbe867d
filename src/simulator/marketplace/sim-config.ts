import { z } from 'zod';
import { parseInput } from './input-error.js';
import { defaultRetryPolicies } from './retry-policy.js';

/**
 * The simulated marketplace's settings: where the seller's production endpoint is, the shared
 * Key, which protocol each product speaks, the seller AK/SK allowed on the order query API, and
 * the scenario knobs (resends, duplicates, clock skew, retry cadence, polling).
 */

const httpUrl = z
  .url({
    protocol: /^https?$/,
    error: 'expected an http(s) URL such as http://127.0.0.1:8080/koogallery',
  })
  .transform((v) => v.replace(/\/+$/, ''));

const protocol = z.enum(['v1', 'v2'], { error: 'expected v1 or v2' });

const retryPolicy = z.object({
  intervalMs: z.int().min(0),
  windowMs: z.int().min(0),
});

const knobsSchema = z.object({
  /** Resends of an already accepted call, one after the other (at-least-once delivery). */
  resends: z.int().min(0).max(10).default(0),
  /** Concurrent copies of each attempt, each freshly signed. */
  duplicates: z.int().min(1).max(10).default(1),
  /** Sign as if the marketplace's clock were off by this much. */
  skewMs: z.int().default(0),
  /** Answer deadline of each call. */
  timeoutMs: z.int().min(1).max(60_000).default(5_000),
  retry: z
    .object({
      purchase: retryPolicy.default(defaultRetryPolicies.purchase),
      renewal: retryPolicy.default(defaultRetryPolicies.renewal),
      release: retryPolicy.default(defaultRetryPolicies.release),
      status: retryPolicy.default(defaultRetryPolicies.status),
    })
    .default(defaultRetryPolicies),
  /** V2: queryInstance polling after 000004. */
  poll: z
    .object({
      intervalMs: z.int().min(1).default(10_000),
      deadlineMs: z
        .int()
        .min(0)
        .default(3 * 3_600_000),
    })
    .default({ intervalMs: 10_000, deadlineMs: 3 * 3_600_000 }),
  /** Real-time runs only: how much faster than real time waits pass (3600 = an hour a second). */
  timeScale: z.number().positive().max(1_000_000).default(1),
});

const configSchema = z.object({
  productionUrl: httpUrl.optional(),
  /** The shared Key / accessKey of the seller (spec §2). */
  key: z.string().min(1, 'expected the seller Key').optional(),
  defaultProtocol: protocol.default('v2'),
  products: z
    .record(
      z.string().min(1),
      z.object({ protocol, v2Body: z.enum(['thin', 'inline']).default('thin') }),
    )
    .default({}),
  sellerCredentials: z
    .array(
      z.object({
        ak: z.string().min(1, 'expected an AK'),
        sk: z.string().min(1, 'expected an SK'),
      }),
    )
    .default([]),
  /** Cipher of the V1 mobilePhone/email fields: 1 AES-256, 2 AES-128. */
  requestEncryptType: z.union([z.literal(1), z.literal(2)]).default(1),
  /** Default testFlag of calls (1 = a debug call from the seller console). */
  testFlag: z.enum(['0', '1']).default('0'),
  mockProduct: z.object({ productId: z.string().min(1), skuCode: z.string().min(1) }).optional(),
  knobs: knobsSchema.default(knobsSchema.parse({})),
});

export type SimConfig = z.output<typeof configSchema>;
export type SimConfigInput = z.input<typeof configSchema>;

export function parseConfig(input: unknown): SimConfig {
  return parseInput(configSchema, input ?? {});
}

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function deepMerge(base: Plain, patch: Plain): Plain {
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    out[k] = isPlain(v) && isPlain(base[k]) ? deepMerge(base[k] as Plain, v) : v;
  }
  return out;
}

/** Applies a partial update (objects merge, arrays and scalars replace; null removes). */
export function patchConfig(current: SimConfig, patch: unknown): SimConfig {
  if (!isPlain(patch)) return parseConfig(patch);
  const merged = deepMerge(current as unknown as Plain, patch);
  for (const [k, v] of Object.entries(merged)) if (v === null) delete merged[k];
  return parseConfig(merged);
}

/** The config as shown to operators: secrets replaced by a hint of their length. */
export function describeConfig(config: SimConfig) {
  const mask = (s: string) => `***(${s.length} chars)`;
  return {
    ...config,
    key: config.key ? mask(config.key) : undefined,
    sellerCredentials: config.sellerCredentials.map((c) => ({ ak: c.ak, sk: mask(c.sk) })),
  };
}
