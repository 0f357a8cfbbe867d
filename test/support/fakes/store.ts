import { releaseKey, renewalKey, upgradeKey } from '../../../src/deployments/model/keys.js';
import {
  deployableInstance,
  instanceStatusAfterFailure,
  isGone,
  isOpen,
  isTerminal,
} from '../../../src/deployments/model/states.js';
import type {
  DeploymentStore,
  InstancePatch,
  OperationOutcome,
  OperationSnapshot,
} from '../../../src/deployments/ports.js';
import { unprovisioned } from '../../../src/deployments/rows.js';
import type { Clock } from '../../../src/platform/clock.js';
import type { Instance, Operation } from '../../../src/platform/db/schema.js';

/**
 * The in-memory `DeploymentStore`: instances and operations as rows, transitions as the Kysely
 * store makes them (test/contract holds both to the same behaviour). `seedInstance` and
 * `seedOperation` put rows in place the way the commands would.
 *
 * @example
 *   const store = createFakeStore({ clock });
 *   store.seedInstance({ id: 'kgi-1', product_id: 'OFFI-DEMO-LICENSE-MONTH', sku_code: 'basic' });
 *   store.seedOperation({ id: 'op_1', instance_id: 'kgi-1', kind: 'deploy' });
 */
export interface FakeStore extends DeploymentStore {
  instances: Map<string, Instance>;
  operations: Map<string, Operation>;
  seedInstance(row: Partial<Instance> & { id: string }): Instance;
  seedOperation(row: Partial<Operation> & { id: string; kind: Operation['kind'] }): Operation;
  /** Every write, in order (method and instance or operation id). */
  writes: Array<{ method: string; id: string }>;
}

const dateColumns = [
  'expires_at',
  'ready_at',
  'released_at',
  'updated_at',
  'created_at',
  'alerted_at',
] as const;

/** Columns written as ISO strings (JSON from a step) come back as dates, as PostgreSQL returns them. */
function asRow(patch: InstancePatch): Partial<Instance> {
  const out = { ...patch } as Record<string, unknown>;
  for (const c of dateColumns) if (typeof out[c] === 'string') out[c] = new Date(out[c] as string);
  return out as Partial<Instance>;
}

/** A seeded instance's columns before the test's own: a V1 purchase of a monthly plan, unprovisioned. */
export function instanceDefaults(id: string, now: Date): Omit<Instance, 'id'> {
  return {
    protocol: 'v1',
    status: 'pending',
    status_detail: null,
    test: false,
    order_id: `ORD-${id}`,
    order_line_id: null,
    business_id: null,
    product_id: null,
    sku_code: null,
    customer_id: 'cust-1',
    customer_name: 'Acme Buyer',
    charging_mode: '1',
    period_type: 'month',
    period_number: 1,
    trial: false,
    expires_at: new Date('2027-12-31T00:00:00Z'),
    order_params: {},
    private_sealed: null,
    frozen: false,
    app_user: 'admin',
    app_password_sealed: null,
    front_end_url: null,
    admin_url: null,
    memo: null,
    created_at: now,
    updated_at: now,
    ready_at: null,
    released_at: null,
    ...unprovisioned,
  };
}

export function createFakeStore(deps: { clock: Clock }): FakeStore {
  const instances = new Map<string, Instance>();
  const operations = new Map<string, Operation>();
  const writes: FakeStore['writes'] = [];
  let seq = 0;
  const now = () => deps.clock.now();

  const store: FakeStore = {
    instances,
    operations,
    writes,
    seedInstance(row) {
      const inst: Instance = { ...instanceDefaults(row.id, now()), ...row };
      instances.set(inst.id, inst);
      return inst;
    },
    seedOperation(row) {
      const op: Operation = {
        seq: String(++seq),
        instance_id: null,
        status: 'pending',
        idempotency_key: null,
        order_id: null,
        order_line_id: null,
        params: {},
        params_sealed: null,
        inbox_id: null,
        test: false,
        attempts: 0,
        error: null,
        workflow_id: null,
        created_at: now(),
        started_at: null,
        finished_at: null,
        cancel_requested_at: null,
        overrides: {},
        failed_step: null,
        reruns: 0,
        enqueued_at: null,
        ...row,
        trace_parent: row.trace_parent ?? null,
      };
      operations.set(op.id, op);
      return op;
    },

    instance: async (id) => {
      const inst = instances.get(id);
      return inst ? structuredClone(inst) : undefined;
    },
    async updateInstance(id, patch) {
      writes.push({ method: 'updateInstance', id });
      const inst = instances.get(id);
      if (inst) Object.assign(inst, asRow(patch));
    },
    async pinHostKey(id, hostKey) {
      writes.push({ method: 'pinHostKey', id });
      const inst = instances.get(id);
      if (!inst || inst.host_key) return false;
      inst.host_key = hostKey;
      return true;
    },
    async setRootPasswordOnce(id, sealed) {
      writes.push({ method: 'setRootPasswordOnce', id });
      const inst = instances.get(id);
      if (inst && !inst.root_password_sealed) inst.root_password_sealed = sealed;
    },
    async beginOperation(id) {
      writes.push({ method: 'beginOperation', id });
      const op = operations.get(id);
      if (!op || isTerminal(op.status)) return null;
      op.status = 'running';
      op.started_at ??= now();
      op.attempts += 1;
      if (op.kind === 'deploy' && op.instance_id) {
        const inst = instances.get(op.instance_id);
        if (inst && deployableInstance.includes(inst.status)) {
          inst.status = 'deploying';
          inst.updated_at = now();
        }
      }
      return {
        id: op.id,
        kind: op.kind,
        instanceId: op.instance_id ?? `order:${op.order_id}`,
        orderId: op.order_id,
        orderLineId: op.order_line_id,
        params: structuredClone(op.params),
        test: op.test,
        attempt: op.attempts,
      } satisfies OperationSnapshot;
    },
    async finishOperation(snapshot: OperationSnapshot, outcome: OperationOutcome, patch) {
      writes.push({ method: 'finishOperation', id: snapshot.id });
      const op = operations.get(snapshot.id)!;
      op.status = outcome.status;
      op.finished_at = now();
      op.failed_step = outcome.failedStep ?? null;
      op.error = outcome.detail ?? null;
      const inst = instances.get(snapshot.instanceId);
      if (!inst) return;
      const owned = snapshot.kind === 'release' || !['releasing', 'released'].includes(inst.status);
      if (!owned) return;
      if (outcome.status === 'succeeded') {
        if (patch) Object.assign(inst, asRow(patch), { updated_at: now() });
        return;
      }
      const status = instanceStatusAfterFailure(snapshot.kind, outcome.status);
      if (status) Object.assign(inst, { status, status_detail: outcome.error ?? null });
      else inst.status_detail = `${snapshot.kind} ${outcome.status}: ${outcome.error}`;
      inst.updated_at = now();
    },
    async cancelRequested(id) {
      return !!operations.get(id)?.cancel_requested_at;
    },
    async operationInputs(id) {
      const op = operations.get(id);
      return { overrides: structuredClone(op?.overrides ?? {}), reruns: op?.reruns ?? 0 };
    },
    // As store.ts does it, through the commands: recordRenewal, recordUpgrade, requestRelease.
    async recordFollowUp(op, next) {
      writes.push({ method: 'recordFollowUp', id: op.id });
      const inst = instances.get(op.instanceId);
      if (!op.orderId || !inst) return null;
      if (next.kind !== 'release' && isGone(inst.status)) return null;
      const p = next.params;
      const key =
        next.kind === 'release'
          ? releaseKey(inst.id)
          : next.kind === 'renew'
            ? renewalKey(inst.id, op.orderId, op.orderLineId, p.scene as string)
            : upgradeKey(inst.id, op.orderId, op.orderLineId);
      if ([...operations.values()].some((o) => o.idempotency_key === key)) return null;
      const id = `op_follow_${operations.size + 1}`;
      store.seedOperation({
        id,
        kind: next.kind,
        instance_id: inst.id,
        idempotency_key: key,
        order_id: op.orderId,
        order_line_id: op.orderLineId,
        params: next.params,
        test: op.test,
      });
      if (next.kind === 'renew') {
        const expires = p.expireTime ? new Date(p.expireTime as string) : null;
        if (expires) inst.expires_at = expires;
        if (p.scene === 'TRIAL_TO_FORMAL') inst.trial = false;
        const extendsPeriod =
          p.scene !== 'UNSUBSCRIBE_RENEWAL_PERIOD' && (!expires || expires > now());
        if (extendsPeriod && inst.frozen) inst.frozen = false;
        inst.updated_at = now();
      }
      if (next.kind === 'release') {
        if (!isGone(inst.status)) Object.assign(inst, { status: 'releasing', updated_at: now() });
        for (const o of operations.values())
          if (o.instance_id === inst.id && o.kind !== 'release' && isOpen(o.status))
            o.cancel_requested_at ??= now();
      }
      return id;
    },
  };
  return store;
}
