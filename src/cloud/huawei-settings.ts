import { z } from 'zod';

/**
 * What the Huawei adapter needs to reach one region of one account. The composition root builds
 * it from configuration (AK/SK from the environment or the secrets store) or from a running
 * simulator; nothing here reads the environment. AK and SK are never logged: keep this object
 * out of log calls, and register both with the logger's scrubber.
 */
export interface HuaweiCloudSettings {
  region: string;
  projectId: string;
  ak: string;
  sk: string;
  /** One endpoint for ECS and VPC (the simulator, a proxy); otherwise the region's public ones. */
  endpoint?: string;
  enterpriseProjectId?: string;
  /** Region → image id of the default OS image the products use there. */
  imageIds: Record<string, string>;
  /** An operator-provided VPC and subnet every deployment shares instead of creating its own. */
  sharedNetwork?: { vpcId: string; subnetId: string };
  /** Per-request timeout (the SDK has none). */
  timeoutMs: number;
  retry: { attempts: number; baseDelayMs: number; maxDelayMs: number };
  /** How long ensureVpc / ensureSubnet wait for the resource to become usable. */
  readyTimeoutMs: number;
  /** How long a VPC, subnet or security-group delete waits for the resource to be gone (§5.4). */
  deleteTimeoutMs: number;
  /** Fixed readiness-poll interval; adaptive when absent. */
  pollIntervalMs?: number;
}

const nonEmpty = (what: string) =>
  z.string({ error: `expected ${what}` }).min(1, `expected ${what}`);

const schema = z.object({
  region: z
    .string({ error: 'expected a region id such as cn-north-4' })
    .regex(/^[a-z]{2}(-[a-z0-9]+)+$/, 'expected a region id such as cn-north-4'),
  projectId: z
    .string({ error: 'expected the 32-hex-digit project id of the region' })
    .regex(/^[0-9a-f]{32}$/i, 'expected the 32-hex-digit project id of the region'),
  ak: nonEmpty('the access key id (AK)'),
  sk: nonEmpty('the secret access key (SK)'),
  endpoint: z
    .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
    .transform((v) => v.replace(/\/+$/, ''))
    .optional(),
  enterpriseProjectId: nonEmpty('an enterprise project id').optional(),
  imageIds: z.record(z.string(), nonEmpty('an image id')).default({}),
  sharedNetwork: z
    .object({ vpcId: nonEmpty('a VPC id'), subnetId: nonEmpty('a subnet id') })
    .optional(),
  timeoutMs: z.number().int().positive().default(30_000),
  retry: z
    .object({
      attempts: z.number().int().min(1).max(20),
      baseDelayMs: z.number().int().min(0),
      maxDelayMs: z.number().int().min(0),
    })
    .default({ attempts: 6, baseDelayMs: 500, maxDelayMs: 20_000 }),
  readyTimeoutMs: z.number().int().positive().default(120_000),
  deleteTimeoutMs: z.number().int().positive().default(300_000),
  /** Poll readiness at this fixed interval instead of adaptively (benchmark reference). */
  pollIntervalMs: z.number().int().positive().optional(),
});

export type HuaweiCloudSettingsInput = z.input<typeof schema>;

/** Validates settings; the error names each bad field (never echoing AK/SK values). */
export function parseHuaweiCloudSettings(input: HuaweiCloudSettingsInput): HuaweiCloudSettings {
  const result = schema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `cloud.${i.path.join('.')}: ${i.message}`);
    throw new TypeError(`invalid cloud settings:\n  - ${problems.join('\n  - ')}`);
  }
  return result.data;
}

/** The image configured for the region, or a clear error naming the setting to fill. */
export function imageIdFor(settings: HuaweiCloudSettings, region = settings.region): string {
  const id = settings.imageIds[region];
  if (!id) {
    throw new TypeError(
      `no image id configured for region ${region}: set cloud.imageIds.${region} (KGD_CLOUD_IMAGE_IDS)`,
    );
  }
  return id;
}
