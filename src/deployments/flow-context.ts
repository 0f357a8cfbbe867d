import { DBOS } from '@dbos-inc/dbos-sdk';
import type { CloudApi } from '../cloud/cloud-api.js';
import type { LicenseIssuer } from '../licenses/license-store.js';
import type { OrderQueryClient } from '../marketplace/order-query-client.js';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/database.js';
import type { OperationKind } from '../platform/db/schema.js';
import type { Ids } from '../platform/ids.js';
import type { Logger, SecretScrubber } from '../platform/logger.js';
import type { TokenBucket } from '../platform/rate-limiter.js';
import type { SecretBox } from '../platform/secrets.js';
import type { ProductCatalog } from '../products/catalog.js';
import type { RemoteHost } from '../remote/remote-host.js';
import type { CloudRate } from './cloud-rate.js';
import type { Journal } from './journal.js';

import { dbosStepConfig, type PolicyName, pollDelayMs, stepPolicies } from './policies.js';

/** Everything the engine's flows use, passed in by the composition root. */
export interface EngineDeps {
  db: Db;
  clock: Clock;
  ids: Ids;
  logger: Logger;
  secretBox: SecretBox;
  scrubber: SecretScrubber;
  cloud: CloudApi;
  remote: RemoteHost;
  catalog: ProductCatalog;
  licenses: LicenseIssuer;
  /** V2 orders are read from the marketplace; absent, thin V2 orders fail with a clear message. */
  orderQuery?: OrderQueryClient;
  region: string;
  /** Where built package archives are cached. */
  workDir: string;
  /** Multiplies every wait and retry interval: 1 in production, small in tests. */
  scale: number;
  journal: Journal;
  /** Test orders create real resources only for products that say so, or when this is set. */
  deployAllTestOrders?: boolean;
  /** Paces server creation to the cloud's quota, across replicas. */
  createRate?: CloudRate;
  /** Spaces out cloud status polls of many deployments at once (this process). */

  pollLimiter?: TokenBucket;
  /** Poll every wait at this fixed interval instead of adaptively (benchmark reference). */
  pollIntervalMs?: number;

  /** Observes each finished step (metrics). */

  onStep?: (event: { kind: OperationKind; step: string; durationMs: number; ok: boolean }) => void;
}

/** The operation was cancelled (a release arrived, or an operator cancelled it). */
export class OperationCancelled extends Error {
  override name = 'OperationCancelled';
}

/** A failure no retry can fix; `step` is where it happened. */
export class DeploymentFailure extends Error {
  override name = 'DeploymentFailure';
  readonly retryable = false;
}

/** What a step gets: its log, a cancellation signal, and waits that respect both. */
export interface StepScope {
  name: string;
  log(level: 'info' | 'warn' | 'error' | 'debug', message: string, stream?: string): Promise<void>;
  signal: AbortSignal;
  /** Sleeps `ms`, throwing OperationCancelled if the operation is cancelled meanwhile. */
  sleep(ms: number): Promise<void>;
  /** Polls `probe` with adaptive delays until it returns a value, or fails after `timeoutMs`. */
  pollUntil<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T>;
}

export interface OperationSnapshot {
  id: string;
  kind: OperationKind;
  instanceId: string;
  orderId: string | null;
  orderLineId: string | null;
  params: Record<string, unknown>;
  test: boolean;
}

export interface Flow {
  deps: EngineDeps;
  op: OperationSnapshot;
  /** Runs `fn` as a durable DBOS step: checkpointed, retried per policy, cancellable, logged. */
  step<T>(name: string, policy: PolicyName, fn: (s: StepScope) => Promise<T>): Promise<T>;
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new OperationCancelled('operation cancelled'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new OperationCancelled('operation cancelled'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

async function cancelRequested(db: Db, opId: string): Promise<boolean> {
  const row = await db
    .selectFrom('operations')
    .select('cancel_requested_at')
    .where('id', '=', opId)
    .executeTakeFirst();
  return !!row?.cancel_requested_at;
}

export function createFlow(deps: EngineDeps, op: OperationSnapshot, cancellable: boolean): Flow {
  const { journal } = deps;
  return {
    deps,
    op,
    step(name, policyName, fn) {
      const policy = stepPolicies[policyName];
      return DBOS.runStep(
        async () => {
          const started = performance.now();
          const controller = new AbortController();
          const log: StepScope['log'] = (level, message, stream) =>
            journal.write({
              operationId: op.id,
              instanceId: op.instanceId,
              level,
              step: name,
              stream,
              message,
            });
          if (cancellable && (await cancelRequested(deps.db, op.id)))
            throw new OperationCancelled('operation cancelled before it ran');
          // Long steps notice a cancellation within about a second.
          const watcher = cancellable
            ? setInterval(
                () => {
                  cancelRequested(deps.db, op.id).then(
                    (yes) => yes && controller.abort(),
                    () => {},
                  );
                },
                Math.max(20, 1000 * deps.scale),
              )
            : undefined;
          const scope: StepScope = {
            name,
            log,
            signal: controller.signal,
            sleep: (ms) => abortableSleep(ms, controller.signal),
            async pollUntil(what, timeoutMs, probe) {
              const t0 = deps.clock.now().getTime();
              for (;;) {
                const value = await probe();

                if (value !== undefined) return value;
                const elapsed = deps.clock.now().getTime() - t0;
                if (elapsed > timeoutMs) {
                  throw Object.assign(
                    new Error(
                      `timed out after ${Math.round(elapsed / 1000)} s waiting for ${what}`,
                    ),
                    { retryable: true },
                  );
                }
                await abortableSleep(
                  deps.pollIntervalMs ?? pollDelayMs(elapsed, deps.scale),
                  controller.signal,
                );
              }
            },
          };
          try {
            const out = await fn(scope);
            deps.onStep?.({
              kind: op.kind,
              step: name,
              durationMs: performance.now() - started,
              ok: true,
            });
            return out;
          } catch (err) {
            deps.onStep?.({
              kind: op.kind,
              step: name,
              durationMs: performance.now() - started,
              ok: false,
            });
            await log(
              err instanceof OperationCancelled ? 'warn' : 'error',
              `${name}: ${(err as Error).message}`,
            ).catch(() => {});
            throw err;
          } finally {
            if (watcher) clearInterval(watcher);
          }
        },
        dbosStepConfig(name, policy, deps.scale),
      );
    },
  };
}
