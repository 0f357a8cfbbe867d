import { randomUUID } from 'node:crypto';
import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import { createDeliverer, type Delivery } from './delivery.js';
import { InputError } from './input-error.js';
import type { InstanceRegistry, SimInstance } from './instances.js';
import type { Ledger } from './ledger.js';
import type { CallResult, MarketplaceClient } from './marketplace-client.js';
import type { Operation, OperationRegistry } from './operations.js';
import { type Order, type OrderBook, termsOf } from './orders.js';
import type { CallSpec, Corruption, Protocol } from './request-builder.js';
import type { RetryKind } from './retry-policy.js';
import type { SimConfig } from './sim-config.js';
import { type Timer, TimerClosedError } from './timer.js';

/** What every scenario operation shares: settings, call specs, background delivery. */

export interface CallOptions {
  /** Concurrent copies of each attempt (default: the duplicates knob). */
  duplicates?: number;
  /** Resends after an accepted answer (default: the resends knob). */
  resends?: number;
  /** Added to the skew knob. */
  skewMs?: number;
  corruption?: Corruption;
  testFlag?: '0' | '1';
  prettyBody?: boolean;
  /** A single attempt: no resend on failure. */
  noRetry?: boolean;
  /** For an instance the marketplace does not know: which protocol to speak. */
  protocol?: Protocol;
}

export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

export interface ScenarioDeps {
  clock: Clock;
  timer: Timer;
  client: MarketplaceClient;
  orders: OrderBook;
  instances: InstanceRegistry;
  ledger: Ledger;
  operations: OperationRegistry;
  config: () => SimConfig;
  businessId?: () => string;
  logger?: Logger;
}

export interface Started {
  operation: Operation;
  instance?: SimInstance;
  order?: Order;
}

export type Settings = SimConfig & { productionUrl: string; key: string };

function describeFailure(results: CallResult[]): string {
  const last = results.at(-1);
  if (!last) return 'nothing sent';
  const parts = [last.resultCode && `resultCode ${last.resultCode}`, last.error, ...last.problems];
  return `last answer: ${parts.filter(Boolean).join('; ') || `HTTP ${last.status}`}`;
}

export function createScenarioCore(deps: ScenarioDeps) {
  const { deliver } = createDeliverer(deps);
  const newBusinessId = deps.businessId ?? (() => randomUUID().replaceAll('-', ''));
  const now = () => deps.clock.now();

  /** The configuration, which must name the production URL and the Key to send anything. */
  function settings(): Settings {
    const cfg = deps.config();
    if (!cfg.productionUrl) {
      throw new InputError([{ field: 'productionUrl', message: 'not configured yet' }]);
    }
    if (!cfg.key) throw new InputError([{ field: 'key', message: 'not configured yet' }]);
    return { ...cfg, productionUrl: cfg.productionUrl, key: cfg.key };
  }

  /** A call spec read afresh per copy, so key rotation and skew changes apply to resends. */
  function specOf(
    protocol: Protocol,
    activity: string,
    build: (s: Settings) => Record<string, unknown>,
    opts: CallOptions,
  ): () => CallSpec {
    return () => {
      const s = settings();
      return {
        protocol,
        url: s.productionUrl,
        key: s.key,
        activity,
        fields: build(s),
        corruption: {
          ...opts.corruption,
          skewMs: (opts.corruption?.skewMs ?? 0) + (opts.skewMs ?? s.knobs.skewMs),
        },
        prettyBody: opts.prettyBody,
      };
    };
  }

  /**
   * Runs a delivery in the background. `onAccepted` may keep the operation going (polling);
   * `onGiveUp` makes a failed delivery a cancellation (new purchases, spec §7).
   */
  function launch(
    op: Operation,
    d: Pick<Delivery, 'spec'> & { retry: RetryKind | undefined; opts: CallOptions },
    onAccepted: (r: CallResult) => Promise<void> | void,
    onGiveUp?: () => void,
  ): void {
    const run = async () => {
      const knobs = deps.config().knobs;
      const outcome = await deliver({
        operationId: op.view.id,
        kind: op.view.kind,
        spec: d.spec,
        policy: d.retry && !d.opts.noRetry ? knobs.retry[d.retry] : undefined,
        duplicates: d.opts.duplicates ?? knobs.duplicates,
        resends: d.opts.resends ?? knobs.resends,
        onAttempt(n, results) {
          op.view.attempts = n;
          op.view.resultCode = results.at(-1)?.resultCode;
          op.markSent();
        },
      });
      if (!outcome.accepted) {
        onGiveUp?.();
        op.finish(onGiveUp ? 'cancelled' : 'failed', describeFailure(outcome.results));
        return;
      }
      op.view.resultCode = outcome.accepted.resultCode;
      op.markAnswered();
      await onAccepted(outcome.accepted);
      op.finish('succeeded');
    };
    run().catch((err: Error) => {
      if (err instanceof TimerClosedError) {
        op.finish('failed', 'the simulator stopped');
        return;
      }
      deps.logger?.warn(
        { operation: op.view.id, err: err.message },
        'marketplace operation failed',
      );
      op.finish('failed', err.message);
    });
  }

  function touch(inst: SimInstance, patch: Partial<SimInstance>) {
    Object.assign(inst, patch, { updatedAt: now().toISOString() });
  }

  function register(
    order: Order,
    protocol: Protocol,
    v2Body: 'thin' | 'inline',
    testFlag: '0' | '1',
  ) {
    const line = order.orderLine[0]!;
    const at = now().toISOString();
    return deps.instances.add({
      key: `${order.orderId}/${line.orderLineId}`,
      protocol,
      v2Body,
      purchaseOrderId: order.orderId,
      purchaseLineId: line.orderLineId,
      terms: termsOf(order),
      testFlag,
      state: 'pending',
      createdAt: at,
      updatedAt: at,
    });
  }

  /** An instance the marketplace knows and whose instanceId the seller gave. */
  function known(ref: string): SimInstance & { instanceId: string } {
    const inst = deps.instances.find(ref);
    if (!inst) throw new NotFoundError(`no instance ${ref}`);
    if (!inst.instanceId) {
      throw new InputError([
        { field: 'instance', message: `${ref} has no instanceId yet (no accepted newInstance)` },
      ]);
    }
    return inst as SimInstance & { instanceId: string };
  }

  /** getLicenseAsync event ids sent: the upload API accepts licenses for these only. */
  const licenseEvents = new Set<string>();

  return {
    deps,
    deliver,
    newBusinessId,
    now,
    settings,
    specOf,
    launch,
    touch,
    register,
    known,
    licenseEvents,
  };
}

export type ScenarioCore = ReturnType<typeof createScenarioCore>;
