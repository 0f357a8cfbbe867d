import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Instance } from '../../platform/db/schema.js';
import { Permanent } from '../../platform/errors.js';
import type { LoadedProduct, ProductCatalog } from '../../products/catalog.js';
import type { Overrides } from './overrides.js';

/**
 * What a deployment will do, decided once (a checkpointed step) from the instance's product and
 * sku, the product template, and any operator overrides of a rerun.
 */
export interface DeployPlan {
  productName: string;
  templateVersion: string;
  kind: 'license' | 'image';
  skuCode: string;
  region: string;
  imageId: string;
  /** Tried in order: each AZ for the sku's flavor, then each AZ for every fallback flavor. */
  candidates: Array<{ flavor: string; az?: string }>;
  rootVolume: { type: string; sizeGb: number };
  bandwidthMb: number;
  /**
   * The template's values for the region (product.yaml `regions.<id>`); the adapter uses its
   * region table for what is absent.
   */
  regionOverride?: { dns?: string[]; eipType?: string };
  network:
    | { mode: 'per-instance'; vpcCidr: string; subnetCidr: string }
    | { mode: 'shared'; vpcId: string; subnetId: string };
  sshPort: number;
  sshUser: string;
  /** Hooks the package ships (license products). */
  hooks: string[];
  /** The image's first-boot command (image products). */
  firstBootCommand?: string;
  /** The buyer's own server, from the order's extension parameters. */
  existingServer?: { host: string; serverId?: string };
  /** Why nothing is provisioned (a seller-console test order). */
  skip?: string;
  /** How long a cloud step retries throttling and transient answers (the template's budget). */
  cloudRetryBudgetMs?: number;
}

const scriptsIn = (dir: string) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.sh'))
        .map((f) => f.slice(0, -3))
    : [];

/** Hooks a product ships: its package's scripts/, or for an image product the image's. */
function productHooks(product: LoadedProduct): string[] {
  if (product.kind === 'image') {
    return scriptsIn(path.join(product.dir, 'image', product.firstBoot!.installDir, 'scripts'));
  }
  const source = product.packagePath;
  // An archive's hooks are listed when the template is checked; assume the deploy hooks.
  if (!source || !statSync(source).isDirectory()) return ['install', 'start', 'poststart'];
  return scriptsIn(path.join(source, 'scripts'));
}

export function resolvePlan(input: {
  instance: Instance;
  catalog: ProductCatalog;
  region: string;
  overrides: Overrides;
  extendParams: { name: string; value: string }[];
  deployAllTestOrders: boolean;
}): DeployPlan {
  const { instance: inst, catalog, region, overrides } = input;
  const match = catalog.resolve(inst.product_id, inst.sku_code);
  // A debug order's product is the marketplace's mock one (spec §9): normal, and nothing to deploy.
  if (!match && inst.test) return testOrderPlan(inst, region);
  if (!match) {
    throw new Permanent(
      `no product template serves productId ${inst.product_id ?? '(none)'} / sku ${inst.sku_code ?? '(none)'}: add it to a templates/<name>/product.yaml and rerun`,
    );
  }
  const { product, sku, skuCode } = match;
  if (overrides.templateVersion && overrides.templateVersion !== product.version) {
    throw new Permanent(
      `template version ${overrides.templateVersion} is not loaded (current ${product.name} is ${product.version})`,
    );
  }
  const imageId = overrides.imageId ?? product.compute.images[region];
  if (!imageId) {
    throw new Permanent(`${product.name}: compute.images has no image for region ${region}`);
  }
  const flavors = overrides.flavor ? [overrides.flavor] : [sku.flavor, ...sku.fallbackFlavors];
  const azs: (string | undefined)[] = overrides.az
    ? [overrides.az]
    : product.compute.azs.length > 0
      ? product.compute.azs
      : [undefined];
  const candidates = flavors.flatMap((flavor) =>
    azs.map((az) => (az ? { flavor, az } : { flavor })),
  );
  const ex = product.existingServer;
  const param = (name: string) => input.extendParams.find((p) => p.name === name)?.value;
  const host = ex ? param(ex.hostParam) : undefined;
  const testSkip =
    inst.test && product.marketplace.testDeploy === 'none' && !input.deployAllTestOrders
      ? 'seller-console test order: the whole path ran, no billable resources created (set marketplace.testDeploy: real to deploy them)'
      : undefined;
  return {
    productName: product.name,
    templateVersion: product.version,
    kind: product.kind,
    skuCode,
    region,
    imageId,
    candidates,
    rootVolume: {
      type: product.compute.rootVolume.type,
      sizeGb: sku.rootVolumeGb ?? product.compute.rootVolume.sizeGb,
    },
    bandwidthMb: sku.bandwidthMb ?? product.compute.bandwidthMb,
    ...(product.regions[region] ? { regionOverride: product.regions[region] } : {}),
    network: product.network,
    cloudRetryBudgetMs: product.retry.cloudBudgetSeconds * 1000,
    sshPort: overrides.sshPort ?? product.ssh.port,
    sshUser: product.ssh.user,
    hooks: productHooks(product),
    ...(product.firstBoot ? { firstBootCommand: product.firstBoot.command } : {}),
    ...(host && ex
      ? {
          existingServer: {
            host,
            ...(param(ex.serverIdParam) ? { serverId: param(ex.serverIdParam)! } : {}),
          },
        }
      : {}),
    ...(testSkip ? { skip: testSkip } : {}),
  };
}

/** The name a test order's plan carries when no template serves its (mock) product. */
export const noTemplate = '(no template)';

/** A test order no template serves: planned as skipped, so it is answered like any other. */
function testOrderPlan(inst: Instance, region: string): DeployPlan {
  return {
    productName: noTemplate,
    templateVersion: '-',
    kind: 'license',
    skuCode: inst.sku_code ?? '-',
    region,
    imageId: '-',
    candidates: [],
    rootVolume: { type: '-', sizeGb: 0 },
    bandwidthMb: 0,
    network: { mode: 'per-instance', vpcCidr: '-', subnetCidr: '-' },
    sshPort: 22,
    sshUser: '-',
    hooks: [],
    skip: `seller-console test order for productId ${inst.product_id ?? '(none)'} / sku ${inst.sku_code ?? '(none)'}, which no template serves (a marketplace mock order): nothing to deploy`,
  };
}
