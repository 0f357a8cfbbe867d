import { z } from 'zod';

/**
 * A product definition, `templates/<name>/product.yaml`: what a seller declares once and the
 * engine follows for every order of the product. Validated at start and by `kgd templates check`;
 * an error names the file, the field and what is expected.
 */
const hookNames = [
  'install',
  'start',
  'poststart',
  'restart',
  'prestop',
  'stop',
  'update',
  'uninstall',
] as const;
export const allHooks = hookNames;

const portList = z
  .string()
  .regex(
    /^\d{1,5}(-\d{1,5})?(,\d{1,5}(-\d{1,5})?)*$/,
    'expected ports such as "22" or "80,443,8000-8100"',
  );

const cidr = z
  .string()
  .regex(
    /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/,
    'expected an IPv4 CIDR such as 0.0.0.0/0 or 10.0.0.0/8',
  );

const seconds = (what: string) =>
  z
    .number({ error: `expected ${what} in seconds` })
    .int()
    .positive();

const sku = z.strictObject({
  /** ECS flavor, then the flavors to try when it is sold out everywhere. */
  flavor: z.string().min(1),
  fallbackFlavors: z.array(z.string().min(1)).default([]),
  /** Overrides of the product's compute settings for this sku. */
  rootVolumeGb: z.number().int().min(20).max(2048).optional(),
  bandwidthMb: z.number().int().min(1).max(2000).optional(),
  /** Limits written into the license (users, cores, ...). */
  limits: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
});

const healthCheck = z.union(
  [
    z.strictObject({
      http: z.strictObject({
        port: z.number().int().min(1).max(65535),
        path: z.string().startsWith('/').default('/'),
        expectStatus: z.number().int().min(100).max(599).default(200),
      }),
      timeoutSeconds: seconds('a timeout').default(120),
    }),
    z.strictObject({
      command: z.string().min(1),
      timeoutSeconds: seconds('a timeout').default(120),
    }),
  ],
  {
    error:
      'expected { http: { port, path?, expectStatus? }, timeoutSeconds? } or { command, timeoutSeconds? }',
  },
);

/**
 * What the service does when the marketplace renews, freezes or releases one of the product's
 * license codes 2.0 (spec §8). `record` keeps the new expiry / status in the service's book of
 * codes (`kgd license codes`); `renew-deployment`, `freeze-deployment` and `release-deployment`
 * also act on the deployment bound to the code (same order, or bound by an operator); `none`
 * acknowledges only. The default records and leaves deployments alone: the marketplace's own
 * query API stays the truth the software checks.
 */
export const licenseCodeRules = z
  .strictObject({
    renew: z
      .enum(['record', 'renew-deployment', 'none'], {
        error: 'expected record, renew-deployment or none',
      })
      .default('record'),
    status: z
      .enum(['record', 'freeze-deployment', 'none'], {
        error: 'expected record, freeze-deployment or none',
      })
      .default('record'),
    release: z
      .enum(['record', 'release-deployment', 'none'], {
        error: 'expected record, release-deployment or none',
      })
      .default('record'),
  })
  .default({ renew: 'record', status: 'record', release: 'record' });

export type LicenseCodeRules = z.infer<typeof licenseCodeRules>;

export const productSchema = z.strictObject({
  /** Unique name, usually the folder name. */
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{1,40}$/, 'expected lower-case letters, digits and -'),
  description: z.string().default(''),
  kind: z.enum(['license', 'image'], { error: 'expected license or image' }),
  marketplace: z
    .strictObject({
      /** KooGallery productIds this definition serves (one per sku × period type). */
      productIds: z.array(z.string().min(1)).min(1, 'list at least one productId'),
      /** skuCode → its compute and license limits. */
      skus: z
        .record(z.string().min(1), sku)
        .refine((s) => Object.keys(s).length > 0, 'define at least one sku'),
      /**
       * What a seller-console test order (testFlag=1) deploys: `none` (the default) runs the whole
       * path and answers like a real order but creates nothing, `real` creates real resources.
       * `none` by default because KooGallery re-runs the saved debug cases against the production
       * URL twice a day for as long as the product is on sale (spec §11): each would otherwise buy a
       * server, and the spec's rule is "no billable resource unless the product opts in".
       */
      testDeploy: z.enum(['real', 'none'], { error: 'expected real or none' }).default('none'),
      /**
       * Changes at renewal (changeInstanceCheck): skuCode → the skus it may become. Absent: any sku
       * of this product may change to any other of its skus.
       */
      skuChanges: z.record(z.string().min(1), z.array(z.string().min(1))).optional(),
      /** License codes 2.0: what refreshLicenseCode, updateLicenseCodeStatus, releaseLicenseCode do. */
      licenseCodes: licenseCodeRules,
    })
    .superRefine((m, ctx) => {
      for (const [from, targets] of Object.entries(m.skuChanges ?? {})) {
        for (const code of [from, ...targets])
          if (!Object.hasOwn(m.skus, code))
            ctx.addIssue({
              code: 'custom',
              path: ['skuChanges', from],
              message: `sku ${code} is not one of marketplace.skus`,
            });
      }
    }),
  compute: z.strictObject({
    /** Image per region: a public OS image (license products) or the product's private image. */
    images: z
      .record(z.string().min(1), z.string().min(1))
      .refine((m) => Object.keys(m).length > 0, 'give an image for at least one region'),
    /** Availability zones to try in order (a sold-out AZ moves to the next). Empty: let the cloud choose. */
    azs: z.array(z.string().min(1)).default([]),
    rootVolume: z
      .strictObject({
        type: z.string().default('SSD'),
        sizeGb: z.number().int().min(20).max(2048).default(40),
      })
      .default({ type: 'SSD', sizeGb: 40 }),
    /** Public bandwidth of the EIP created with the server. */
    bandwidthMb: z.number().int().min(1).max(2000).default(5),
  }),
  /**
   * Per-region values overriding the deployer's region table (src/cloud/regions.ts): the private
   * DNS servers new subnets get and the EIP type sold there. Required for a region the table
   * lacks (`kgd templates check` says which).
   */
  regions: z
    .record(
      z.string().regex(/^[a-z]{2}(-[a-z0-9]+)+$/, 'expected a region id such as cn-north-4'),
      z.strictObject({
        dns: z
          .array(z.ipv4({ error: 'expected an IPv4 address' }))
          .min(1, 'give one or two DNS servers')
          .max(2, 'give one or two DNS servers')
          .optional(),
        eipType: z
          .string()
          .regex(/^\d+_[a-z0-9]+$/, 'expected an EIP type such as 5_bgp')
          .optional(),
      }),
    )
    .default({}),
  network: z
    .union([
      z.strictObject({
        mode: z.literal('per-instance'),
        vpcCidr: cidr.default('192.168.0.0/16'),
        subnetCidr: cidr.default('192.168.0.0/24'),
      }),
      z.strictObject({
        mode: z.literal('shared'),
        vpcId: z.string().min(1),
        subnetId: z.string().min(1),
      }),
    ])
    .default({ mode: 'per-instance', vpcCidr: '192.168.0.0/16', subnetCidr: '192.168.0.0/24' }),
  securityGroup: z.strictObject({
    /** Ingress rules for the product's ports. SSH for the deployer is added from `ssh`. */
    rules: z
      .array(
        z.strictObject({
          protocol: z.enum(['tcp', 'udp', 'icmp']).default('tcp'),
          ports: portList,
          source: cidr.default('0.0.0.0/0'),
        }),
      )
      .default([]),
  }),
  ssh: z
    .strictObject({
      port: z.number().int().min(1).max(65535).default(22),
      user: z.string().default('root'),
      /** Where the deployer connects from; the group admits SSH from here only. */
      sourceCidr: cidr.default('0.0.0.0/0'),
      waitSeconds: seconds('a wait').default(600),
      /**
       * An upload slower than this over `transferWindowSeconds` fails (a stalled or hostile
       * server must not hold a deploy slot).
       */
      minTransferBytesPerSecond: z.number().int().min(1).default(65_536),
      transferWindowSeconds: seconds('a window').default(30),
    })
    .default({
      port: 22,
      user: 'root',
      sourceCidr: '0.0.0.0/0',
      waitSeconds: 600,
      minTransferBytesPerSecond: 65_536,
      transferWindowSeconds: 30,
    }),
  /** The software package (license products): a folder or archive in the KooGallery layout. */
  package: z
    .strictObject({
      /** Relative to the template folder: a directory with bin/ and scripts/, or a .tar.gz/.tar/.zip. */
      source: z.string().min(1),
      installDir: z.string().startsWith('/', 'expected an absolute path on the server'),
      hookTimeouts: z.partialRecord(z.enum(hookNames), seconds('a timeout')).default({}),
    })
    .optional(),
  /** Image products: what runs once on the new server, from the image's disk. */
  firstBoot: z
    .strictObject({
      command: z.string().min(1),
      installDir: z.string().startsWith('/'),
      timeoutSeconds: seconds('a timeout').default(300),
    })
    .optional(),
  license: z.strictObject({
    /** Where the license is written on the server. */
    path: z.string().startsWith('/', 'expected an absolute path on the server'),
    /** The file's content; {{license}} is the signed token, other variables as in `access`. */
    template: z.string().default('{{license}}\n'),
    /** Also written: the public key that verifies the license (for the product to check it). */
    publicKeyPath: z.string().startsWith('/').optional(),
    /**
     * Live License (getLicenseAsync, spec §7.1): bind each license to the buyer's device
     * fingerprint; a request without one is answered 000903.
     */
    bindToDevice: z.boolean().default(false),
  }),
  health: healthCheck,
  /** Handed back to the buyer. Variables: {{eip}}, {{instanceId}}, {{user}}, {{product}}, {{sku}}. */
  access: z.strictObject({
    frontEndUrl: z.string().min(1),
    adminUrl: z.string().optional(),
    user: z.string().min(1).max(64).default('admin'),
    memo: z.string().max(1024).optional(),
  }),
  lifecycle: z
    .strictObject({
      /** Expiry and freeze keep data: stop the service, the server, or both. */
      expire: z.enum(['stop-service', 'stop-server', 'both']).default('stop-service'),
      /** After a permanent failure: destroy what was created, or keep it for inspection. */
      onFailure: z.enum(['destroy', 'keep']).default('keep'),
      /** Renewal: run the `update` hook (or restart) after writing the new license. */
      renew: z.enum(['update-hook', 'restart']).default('update-hook'),
    })
    .default({ expire: 'stop-service', onFailure: 'keep', renew: 'update-hook' }),
  /**
   * How long a cloud step keeps retrying throttling (per-minute limits) and transient answers
   * (5xx, Ecs.0603 "try again 1 minute later") before the operation fails.
   */
  retry: z
    .strictObject({
      cloudBudgetSeconds: seconds('a retry budget')
        .min(60, 'expected at least 60 seconds: the cloud throttles per minute')
        .max(6 * 3600, 'expected at most 21600 seconds (6 hours)')
        .default(1800),
    })
    .default({ cloudBudgetSeconds: 1800 }),
  /** License products onto a server the buyer already has, named in the order's extension parameters. */
  existingServer: z
    .strictObject({
      hostParam: z.string().default('serverIp'),
      passwordParam: z.string().default('serverPassword'),
      serverIdParam: z.string().default('ecsId'),
      /**
       * Addresses a buyer may name although they are not public (loopback, private, ...): an
       * explicit opt-in, e.g. a lab network. Never the metadata address; the deny list
       * (KGD_BUYER_TARGET_DENY) still wins.
       */
      allowCidrs: z.array(z.string()).default([]),
      /**
       * Whether the order's server id is looked up in the seller's account (to prepare a security
       * group for it). Off by default: a buyer's server is not the seller's to look at, and the id
       * is the buyer's word.
       */
      serverIdLookup: z.boolean().default(false),
    })
    .optional(),
});

export type Product = z.output<typeof productSchema>;
export type Sku = z.output<typeof sku>;
