import type { CloudApi } from '../../cloud/cloud-api.js';
import type { LicenseIssuer } from '../../licenses/license-store.js';
import type { AddressPolicy, ResolveHost } from '../../platform/address-guard.js';
import type { Clock } from '../../platform/clock.js';
import type { Instance } from '../../platform/db/schema.js';
import { Permanent } from '../../platform/errors.js';
import type { PollDelay } from '../../platform/poll.js';
import type { LoadedProduct, ProductCatalog } from '../../products/catalog.js';
import type { RemoteHost } from '../../remote/remote-host.js';
import type { InstanceSecrets } from '../model/instance-secrets.js';
import type { DeployPlan } from '../model/plan.js';
import type {
  DeploymentStore,
  LicenseDelivery,
  OrderSource,
  Pacer,
  PackageArchive,
} from '../ports.js';

/**
 * What the steps need: narrow ports, passed in by the composition root (or a test's fakes).
 *
 * @example
 *   const d = createDeploySteps({ cloud, remote, store, licenses, catalog, secrets, clock,
 *     packages, region: 'cn-north-4', deployAllTestOrders: false });
 */
export interface DeployDeps {
  cloud: CloudApi;
  remote: RemoteHost;
  store: DeploymentStore;
  /** V2 orders are read from the marketplace; absent, thin V2 orders fail with a clear message. */
  orders?: OrderSource | undefined;
  licenses: LicenseIssuer;
  /** The marketplace's license upload API (getLicenseAsync); absent, uploads fail clearly. */
  delivery?: LicenseDelivery | undefined;
  catalog: ProductCatalog;
  secrets: InstanceSecrets;
  clock: Clock;
  packages: { archiveOf(product: LoadedProduct): PackageArchive };
  /**
   * Servers a buyer names are untrusted: `deny` is refused besides every non-public address (a
   * product's `existingServer.allowCidrs` opts in to some); `resolve` turns a named host into
   * addresses (the system resolver unless a test gives one).
   */
  buyerTargets: { deny: readonly string[]; resolve?: ResolveHost | undefined };
  /** HTTP health checks (the global fetch; tests answer for the servers they fake). */
  fetch: typeof fetch;
  /** The region deployments go to (an instance keeps the one it was deployed in). */
  region: string;
  /** Test orders create real resources only for products that say so, or when this is set. */
  deployAllTestOrders: boolean;
  /** Paces server creation to the cloud's quota, across replicas. */
  createPacer?: Pacer | undefined;
  /** Spaces out cloud status polls of many deployments at once (this process). */
  pollLimiter?: { take(): Promise<void> } | undefined;
  /** Every wait's poll delay: adaptive unless set (the benchmark's fixed reference). */
  pollDelay?: PollDelay | undefined;
}

export async function instanceOf(deps: Pick<DeployDeps, 'store'>, id: string): Promise<Instance> {
  const inst = await deps.store.instance(id);
  if (!inst) throw new Permanent(`instance ${id} does not exist`);
  return inst;
}

export function productOf(
  deps: Pick<DeployDeps, 'catalog'>,
  plan: Pick<DeployPlan, 'productName'>,
) {
  const product = deps.catalog.byName(plan.productName);
  if (!product) throw new Permanent(`product template ${plan.productName} is no longer loaded`);
  return product;
}

/** What a buyer-named server of this product may be (the deny list, the product's allow list). */
export function buyerPolicy(
  deps: Pick<DeployDeps, 'buyerTargets'>,
  product: LoadedProduct,
): AddressPolicy {
  return { deny: deps.buyerTargets.deny, allow: product.existingServer?.allowCidrs ?? [] };
}

export const resourceName = (instanceId: string) => `kgd-${instanceId}`;
