import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { vi } from 'vitest';
import type { OperationOutcome, OperationSnapshot } from '../../src/deployments/ports.js';
import type { Instance } from '../../src/platform/db/schema.js';
import { Permanent } from '../../src/platform/errors.js';
import type { LoadedProduct } from '../../src/products/catalog.js';
import type { StepRecord } from './fakes/memory-steps.js';
import type { FlowHarness } from './flow-harness.js';

/**
 * Lifecycle operations as the commands record them, on a flow harness: every lifecycle test
 * starts from an instance the deploy flow left ready.
 */

type Machine = ReturnType<FlowHarness['remote']['machine']>;

export interface Deployed {
  instanceId: string;
  eip: string;
  serverId: string | null;
  vm: Machine;
  /** What the machine and the license issuer had seen when marked (after the deploy). */
  mark: { commands: number; uploads: number; licenses: number };
}

/** A purchase run through the deploy flow, which must succeed. */
export async function deployed(h: FlowHarness, row: Partial<Instance> = {}): Promise<Deployed> {
  const { instanceId, operationId } = h.purchase(row);
  const outcome = await h.run(operationId);
  if (outcome === 'stopped' || outcome.status !== 'succeeded')
    throw new Error(
      `the deploy did not succeed (${JSON.stringify(outcome)}):\n${h.journal.lines().join('\n')}`,
    );
  const inst = h.instance(instanceId);
  const vm = h.remote.machine(inst.eip!);
  return marked(h, { instanceId, eip: inst.eip!, serverId: inst.server_id, vm });
}

/** `x` marked now: what the machine and the license issuer see next is the next operation's. */
export const marked = (h: FlowHarness, x: Omit<Deployed, 'mark'>): Deployed => ({
  ...x,
  mark: {
    commands: x.vm.commands.length,
    uploads: x.vm.uploads.length,
    licenses: h.licenses.issued.length,
  },
});

/** Hooks run on the machine since the deploy, in order (`bash scripts/<hook>.sh`). */
export const hooksSince = (x: Deployed) =>
  x.vm.commands
    .slice(x.mark.commands)
    .map((c) => /scripts\/([\w-]+)\.sh/.exec(c.command)?.[1])
    .filter((hook): hook is string => hook !== undefined);

/** Uploads of `remotePath` since the deploy. */
export const uploadsSince = (x: Deployed, remotePath: string) =>
  x.vm.uploads.slice(x.mark.uploads).filter((u) => u.remotePath === remotePath);

export const licensesSince = (h: FlowHarness, x: Deployed) =>
  h.licenses.issued.slice(x.mark.licenses);

/**
 * Expiry, freeze or unfreeze as `setFrozen` records it: the instance's desired state first, then
 * the operation that applies it.
 */
export function setFrozen(
  h: FlowHarness,
  instanceId: string,
  kind: 'expire' | 'freeze' | 'unfreeze',
): string {
  const frozen = kind !== 'unfreeze';
  h.store.instances.get(instanceId)!.frozen = frozen;
  return h.operation(instanceId, { kind, params: { frozen } });
}

let orders = 0;

/**
 * A renewal as `recordRenewal` records it (through the store, as an order change does): the new
 * expiry at once, an expiry freeze lifted when the renewal extends the period, and the renew
 * operation.
 */
export async function renewal(
  h: FlowHarness,
  instanceId: string,
  change: { expireTime: string | null; scene?: string },
): Promise<string> {
  const orderId = `REN-${++orders}`;
  const notified: OperationSnapshot = {
    id: `op_notify_${orderId}`,
    kind: 'sync',
    instanceId,
    orderId,
    orderLineId: `${orderId}-000001`,
    params: {},
    test: false,
    attempt: 1,
  };
  const id = await h.store.recordFollowUp(notified, {
    kind: 'renew',
    params: { scene: change.scene ?? 'RENEWAL', expireTime: change.expireTime },
  });
  if (!id) throw new Error(`renewal ${orderId} of ${instanceId} was not recorded`);
  return id;
}

/** An upgrade as `recordUpgrade` records it (the new sku in the call, V1). */
export const upgrade = (h: FlowHarness, instanceId: string, skuCode: string) =>
  h.operation(instanceId, {
    kind: 'upgrade',
    order_id: `UPG-${++orders}`,
    params: { productId: null, skuCode, linear: {}, extendParamNames: [] },
  });

/** Runs an operation to its end: its outcome, never 'stopped'. */
export async function finish(
  h: FlowHarness,
  operationId: string,
  record?: StepRecord[],
): Promise<OperationOutcome> {
  const outcome = await h.run(operationId, record ? { record } : {});
  if (outcome === 'stopped') throw new Error(`${operationId} stopped without a stopAfter`);
  return outcome;
}

/**
 * The process dies right after the `n`-th step was checkpointed; the operation then resumes
 * from the same record (what DBOS recovery does), and runs to its end.
 */
export async function crashAfter(
  h: FlowHarness,
  operationId: string,
  n: number,
): Promise<{ outcome: OperationOutcome; record: StepRecord[] }> {
  const record: StepRecord[] = [];
  const first = await h.run(operationId, { record, stopAfter: n });
  if (first !== 'stopped') throw new Error(`${operationId} ended before step ${n}`);
  return { outcome: await finish(h, operationId, record), record };
}

/** The steps an operation ran, in order. */
export const stepNames = (record: StepRecord[]) => record.map((r) => r.name);

/**
 * A copy of the demo License product's package that also ships a `prestop` hook (the demo's
 * does not): for the hooks lifecycle flows run best effort. The test file removes it
 * (`afterAll(prestop.remove)`); `prestop.products` puts it in the harness's product copy.
 */
export function createPrestopPackage() {
  const dir = mkdtempSync(path.join(tmpdir(), 'kgd-package-'));
  cpSync(path.resolve(import.meta.dirname, '../../templates/demo-license/package'), dir, {
    recursive: true,
  });
  writeFileSync(path.join(dir, 'scripts', 'prestop.sh'), '#!/usr/bin/env bash\necho draining\n');
  return {
    products(products: LoadedProduct[]): LoadedProduct[] {
      products.find((p) => p.name === 'demo-license')!.packagePath = dir;
      return products;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The demo License product with another lifecycle policy (a copy: the harness's `products` option). */
export const withLifecycle =
  (policy: Partial<LoadedProduct['lifecycle']>) =>
  (products: LoadedProduct[]): LoadedProduct[] => {
    Object.assign(products.find((p) => p.name === 'demo-license')!.lifecycle, policy);
    return products;
  };

type StepFault = (h: FlowHarness, x: Deployed) => void;

/**
 * How each step shared by the lifecycle flows is made to fail for good: the tables of "a step
 * that fails" in the renew, freeze and upgrade tests.
 */
export const stepFaults = {
  'wait-ssh': (h, x) => x.vm.unreachableUntil(new Date(h.clock.now().getTime() + 86_400_000)),
  'issue-license': (h) =>
    void vi.spyOn(h.licenses, 'issue').mockRejectedValue(new Permanent('license store down')),
  'install-license': (h) =>
    void vi.spyOn(h.d, 'installLicense').mockRejectedValue(new Permanent('disk full')),
  'hook-start': (_h, x) => x.vm.onExec(/scripts\/start\.sh/, { exitCode: 1 }),
  'hook-poststart': (_h, x) => x.vm.onExec(/scripts\/poststart\.sh/, { exitCode: 1 }),
  'health-check': (h) => {
    h.health.status = 503;
  },
} satisfies Record<string, StepFault>;

/** `[step, fault]` rows for `it.each`, from `stepFaults`. */
export const faultRows = (...steps: Array<keyof typeof stepFaults>): Array<[string, StepFault]> =>
  steps.map((step) => [step, stepFaults[step]]);
