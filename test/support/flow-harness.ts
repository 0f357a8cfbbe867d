import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { runOperation } from '../../src/deployments/engine/run-operation.js';
import {
  createInstanceSecrets,
  type InstanceSecrets,
} from '../../src/deployments/model/instance-secrets.js';
import { createPackageSource } from '../../src/deployments/package-archive.js';
import type { OperationOutcome } from '../../src/deployments/ports.js';
import { createDeploySteps, type DeploySteps } from '../../src/deployments/steps/index.js';
import type { Instance, Operation } from '../../src/platform/db/schema.js';
import { createSecretScrubber } from '../../src/platform/logger.js';
import { generatePassword } from '../../src/platform/passwords.js';
import { createSecretBox } from '../../src/platform/secrets.js';
import {
  catalogOf,
  type LoadedProduct,
  loadProductCatalog,
  type ProductCatalog,
  sellerVpcCidrs,
} from '../../src/products/catalog.js';
import { SshUnreachable } from '../../src/remote/errors.js';
import type { RemoteHost } from '../../src/remote/remote-host.js';
import { createFakeCloud, type FakeCloud, fakeFlavors } from './fakes/cloud.js';
import { createFakeJournal, type FakeJournal } from './fakes/journal.js';
import { createFakeLicenseDelivery, type FakeLicenseDelivery } from './fakes/license-delivery.js';
import { createFakeLicenses, type FakeLicenses } from './fakes/licenses.js';
import { createManualClock, type ManualClock } from './fakes/manual-clock.js';
import { memoryCheckpoint, type StepRecord } from './fakes/memory-steps.js';
import { createFakeOrders, type FakeOrders } from './fakes/orders.js';
import { createFakeRemote, type FakeRemote } from './fakes/remote.js';
import { createFakeStore, type FakeStore } from './fakes/store.js';

const templates = loadProductCatalog(path.resolve(import.meta.dirname, '../../templates'));
// Packed once per test process (cached by product name and version, as in production): packing
// was most of a deploy's time on fakes.
const packageDir = mkdtempSync(path.join(tmpdir(), 'kgd-flow-'));
// Imported by a test file: the hook runs when that file's tests are done.
afterAll(() => rmSync(packageDir, { recursive: true, force: true }));
const packages = createPackageSource(packageDir);

export interface FlowHarness {
  clock: ManualClock;
  cloud: FakeCloud;
  /** The machines behind the fake cloud's servers (one per EIP, with the server's password). */
  remote: FakeRemote;
  store: FakeStore;
  journal: FakeJournal;
  orders: FakeOrders;
  licenses: FakeLicenses;
  /** The marketplace's license upload API (getLicenseAsync). */
  delivery: FakeLicenseDelivery;
  catalog: ProductCatalog;
  /** Seals what a test seeds the way the commands do (a buyer's extension parameters). */
  secrets: InstanceSecrets;
  d: DeploySteps;
  /** Health checks over HTTP answer this status (200 by default). */
  health: { status: number; asked: string[] };
  /** A purchase as recordPurchase leaves it: an instance and its pending deploy. */
  purchase(
    row?: Partial<Instance>,
    op?: Partial<Operation>,
  ): { instanceId: string; operationId: string };
  /** A lifecycle operation of an instance, pending. */
  operation(instanceId: string, op: Partial<Operation> & { kind: Operation['kind'] }): string;
  /**
   * Runs an operation's workflow to its end, or until `stopAfter` steps are checkpointed (the
   * process "dies" there: the promise resolves to 'stopped'). `record` carries the checkpoints
   * from one run to its replay.
   */
  run(
    operationId: string,
    options?: { record?: StepRecord[]; stopAfter?: number; traceParent?: string },
  ): Promise<OperationOutcome | 'stopped'>;
  instance(id: string): Instance;
  op(id: string): Operation;
}

export interface FlowHarnessOptions {
  /** Edits the loaded products (a copy) before the steps see them. */
  products?: (products: LoadedProduct[]) => LoadedProduct[];
  /** KGD_BUYER_TARGET_DENY; the templates' VPC CIDRs by default, as in the service. */
  buyerDeny?: string[];
}

/** Host names the fake resolver knows (`buyerTargets.resolve`). */
const buyerNames: Record<string, string[]> = {
  'buyer.example': ['203.0.113.9'],
  'loopback.example': ['127.0.0.1'],
  'split.example': ['203.0.113.10', '10.1.2.3'],
};

/**
 * Every flow on fakes, the in-memory checkpoint and the manual clock: no root, no PostgreSQL, no
 * network. A day of cloud waits runs in milliseconds.
 */
export function createFlowHarness(options: FlowHarnessOptions = {}): FlowHarness {
  const clock = createManualClock({ start: new Date('2026-06-01T08:00:00Z'), auto: true });
  // Tests name buyer servers in TEST-NET-3 (203.0.113.0/24): a reserved range the products admit
  // explicitly here, as a template would a lab network.
  const products = structuredClone(templates.products).map((p) =>
    p.existingServer
      ? { ...p, existingServer: { ...p.existingServer, allowCidrs: ['203.0.113.0/24'] } }
      : p,
  );
  const buyerDeny = options.buyerDeny ?? sellerVpcCidrs(catalogOf(products));
  const catalog = catalogOf(options.products ? options.products(products) : products);
  const images = catalog.products.flatMap((p) => Object.values(p.compute.images));
  const cloud = createFakeCloud({
    clock,
    images,
    flavors: [...fakeFlavors, 'c7.xlarge.2'],
  });
  const machines = createFakeRemote({ clock });
  const direct = machines.connect;
  const remote: RemoteHost = {
    async connect(target, options) {
      const server = cloud.inventory().servers.find((s) => s.floatingIps.includes(target.host));
      if (server) {
        if (server.status !== 'ACTIVE')
          throw new SshUnreachable('refused', `${target.host}: server ${server.status} (fake)`);
        try {
          machines.machine(target.host, target.port);
        } catch {
          machines.addMachine({
            host: target.host,
            port: target.port,
            ...(server.adminPass ? { password: server.adminPass } : {}),
          });
        }
      }
      return direct(target, options);
    },
  };
  const scrubber = createSecretScrubber();
  const secrets = createInstanceSecrets(createSecretBox(randomBytes(32)), scrubber);
  const store = createFakeStore({ clock });
  const journal = createFakeJournal({ scrubber });
  const orders = createFakeOrders();
  const licenses = createFakeLicenses({ clock });
  const delivery = createFakeLicenseDelivery();
  const health = { status: 200, asked: [] as string[] };
  const d = createDeploySteps({
    cloud,
    remote,
    store,
    orders,
    licenses,
    delivery,
    catalog,
    secrets,
    clock,
    packages,
    region: 'cn-north-4',
    deployAllTestOrders: false,
    buyerTargets: {
      deny: buyerDeny,
      // No DNS in unit tests: the names tests use, else the host itself.
      resolve: async (host) => buyerNames[host] ?? [host],
    },
    fetch: async (url) => {
      health.asked.push(String(url));
      return new Response('ok', { status: health.status });
    },
  });
  let n = 0;
  const harness: FlowHarness = {
    clock,
    cloud,
    remote: Object.assign(machines, { connect: remote.connect }),
    store,
    journal,
    orders,
    licenses,
    delivery,
    catalog,
    secrets,
    d,
    health,
    purchase(row = {}, op = {}) {
      const instanceId = row.id ?? `kgi-test-${++n}`;
      store.seedInstance({
        id: instanceId,
        product_id: 'OFFI-DEMO-LICENSE-MONTH',
        sku_code: 'basic',
        app_password_sealed: secrets.sealAppPassword(instanceId, generatePassword()),
        ...row,
      });
      const operationId = harness.operation(instanceId, {
        kind: 'deploy',
        idempotency_key: `new:${instanceId}`,
        ...op,
      });
      return { instanceId, operationId };
    },
    operation(instanceId, op) {
      const id = op.id ?? `op_test_${++n}`;
      store.seedOperation({
        order_id: store.instances.get(instanceId)?.order_id ?? null,
        instance_id: instanceId,
        ...op,
        id,
      });
      return id;
    },
    run(operationId, runOptions = {}) {
      const record = runOptions.record ?? [];
      return new Promise((resolve, reject) => {
        const checkpoint = memoryCheckpoint(record, {
          ...(runOptions.stopAfter !== undefined ? { stopAfter: runOptions.stopAfter } : {}),
          onStop: () => resolve('stopped'),
        });
        runOperation(
          { clock, journal, store, steps: d, random: () => 0 },
          operationId,
          checkpoint,
          runOptions.traceParent,
        ).then(resolve, reject);
      });
    },
    instance: (id) => store.instances.get(id)!,
    op: (id) => store.operations.get(id)!,
  };
  return harness;
}
