import type { Clock } from '../../platform/clock.js';
import { isConnectionLoss } from '../../platform/db/database.js';
import type { OperationKind } from '../../platform/db/schema.js';
import { Cancelled, messageOf, Retryable } from '../../platform/errors.js';
import { type PollDelay, pollUntil } from '../../platform/poll.js';
import { inSpan } from '../../platform/tracing.js';
import type { DeploymentStore, Journal, JournalLevel } from '../ports.js';
import type { Halt } from './halt.js';
import type { Lease } from './lease.js';
import {
  cancelCheckIntervalMs,
  databaseRetry,
  type PolicyName,
  retryDelayMs,
  type StepPolicy,
  stepPolicies,
} from './policies.js';
import { decodeError, encodeError, type StepOutcome } from './step-errors.js';

/**
 * Steps: how a flow runs its side effects. `steps.run(name, policy, fn)` runs `fn` once per
 * operation, durably: its outcome (value or classified failure) is checkpointed, so after a
 * crash the flow replays and every step already done returns what it returned the first time.
 * `Retryable` failures are retried per the named policy on the clock; a cancellation of the
 * operation aborts the step's signal within about a second.
 *
 * The checkpoint is the only difference between production and tests: DBOS's `runStep`
 * (engine/dbos-steps.ts) or an in-memory record (test/support/fakes/memory-steps.ts), which can
 * stop after any step and replay.
 *
 * @example
 *   const plan = await steps.run('plan', 'local', (s) => d.plan(op, s));
 *   await steps.run('wait-ssh', 'none', (s) => d.waitForSsh(op.instanceId, plan, s));
 */
export interface Steps {
  run<T>(
    name: string,
    policy: PolicyName | StepPolicy,
    fn: (s: StepScope) => Promise<T>,
  ): Promise<T>;
  /**
   * The step that failed (the first of several side by side to fail), else the last started. A
   * failure the flow caught and went on from is not counted once a later step starts.
   */
  readonly failedStep: string | undefined;
}

/** What a step gets: its log, a cancellation signal, and waits that respect both. */
export interface StepScope {
  readonly name: string;
  readonly signal: AbortSignal;
  log(level: JournalLevel, message: string, stream?: string): Promise<void>;
  /** Polls `probe` until it returns a value; `Retryable` after `timeoutMs`, `Cancelled` on abort. */
  poll<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T>;
  sleep(ms: number): Promise<void>;
}

/**
 * Runs `fn` and stores its result under the step's position in the workflow; on replay returns
 * the stored result without running it. Results are JSON: return strings for dates.
 */
export type Checkpoint = <T>(name: string, fn: () => Promise<T>) => Promise<T>;

interface StepEvent {
  kind: OperationKind | 'unknown';
  operationId: string;
  step: string;
  attempt: number;
  durationMs: number;
  ok: boolean;
}

export interface StepRunnerDeps {
  clock: Clock;
  journal: Journal;
  store: Pick<DeploymentStore, 'cancelRequested'>;
  /** Poll delays of every wait (adaptive by default; a fixed one for the benchmark's reference). */
  pollDelay?: PollDelay | undefined;
  /** Retry jitter in [0, 1); Math.random by default. */
  random?: (() => number) | undefined;
  /** Observes each attempt of each step (metrics). */
  observe?: ((event: StepEvent) => void) | undefined;
  /** The process is stopping: steps abort and are parked unrecorded (engine/halt.ts). */
  halt?: Halt | undefined;
  /**
   * The replica's lease (engine/lease.ts): no step starts, ends or fails while it has lapsed,
   * and its lapse aborts the running one; the step runs again once the lease is renewed, or
   * never if another replica took it over. Without it (tests on fakes) steps just run.
   */
  lease?: Pick<Lease, 'isHeld' | 'held' | 'renewed' | 'signal'> | undefined;
}

export interface StepOwner {
  operationId: string;
  instanceId: string | null;
  kind: OperationKind | 'unknown';
  /** Cancellable operations stop at their next step when cancelled; releases and cleanups are not. */
  cancellable: boolean;
}

export function createSteps(deps: StepRunnerDeps, owner: StepOwner, checkpoint: Checkpoint): Steps {
  let current: string | undefined;
  let failed: string | undefined;

  const log = (step: string) => (level: JournalLevel, message: string, stream?: string) =>
    deps.journal.write({
      operationId: owner.operationId,
      instanceId: owner.instanceId,
      level,
      step,
      stream,
      message,
    });

  /** Aborts `controller` when the operation is cancelled, until `done` aborts. */
  async function watchCancellation(controller: AbortController, done: AbortSignal) {
    while (!done.aborted) {
      try {
        await deps.clock.sleep(cancelCheckIntervalMs, done);
      } catch {
        return; // the step ended
      }
      const cancelled = await deps.store.cancelRequested(owner.operationId).catch(() => false);
      if (cancelled) controller.abort(new Cancelled('operation cancelled'));
    }
  }

  /** Waits on the clock; a cancellation of the operation ends the wait as it would a step. */
  async function wait(ms: number) {
    const controller = new AbortController();
    const done = new AbortController();
    const watcher = owner.cancellable ? watchCancellation(controller, done.signal) : undefined;
    const onHalt = () => controller.abort(deps.halt?.signal.reason);
    deps.halt?.signal.addEventListener('abort', onHalt, { once: true });
    try {
      await deps.clock.sleep(ms, controller.signal);
    } finally {
      deps.halt?.signal.removeEventListener('abort', onHalt);
      done.abort();
      await watcher;
    }
  }

  async function attempt<T>(
    name: string,
    fn: (s: StepScope) => Promise<T>,
    attemptNo: number,
  ): Promise<T> {
    if (owner.cancellable && (await deps.store.cancelRequested(owner.operationId)))
      throw new Cancelled('operation cancelled before the step ran');
    await deps.lease?.held();
    const controller = new AbortController();
    const done = new AbortController();
    const watcher = owner.cancellable ? watchCancellation(controller, done.signal) : undefined;
    const onHalt = () => controller.abort(deps.halt?.signal.reason);
    deps.halt?.signal.addEventListener('abort', onHalt, { once: true });
    const signal = controller.signal;
    const lapse = deps.lease?.signal();
    const onLapse = () => controller.abort(lapse?.reason);
    if (lapse?.aborted) onLapse();
    lapse?.addEventListener('abort', onLapse, { once: true });
    const scope: StepScope = {
      name,
      signal,
      log: log(name),
      poll: (what, timeoutMs, probe) =>
        pollUntil(what, { clock: deps.clock, timeoutMs, signal, delay: deps.pollDelay }, probe),
      sleep: (ms) => deps.clock.sleep(ms, signal),
    };
    const started = performance.now();
    let ok = false;
    try {
      const value = await inSpan(
        `step ${name}`,
        {
          'kgd.step': name,
          'kgd.attempt': attemptNo,
          'kgd.operation_id': owner.operationId,
          'kgd.operation_kind': owner.kind,
          'kgd.instance_id': owner.instanceId ?? undefined,
        },
        () => fn(scope),
      );
      // A result reached after the lease lapsed is recorded only once it is renewed (never if
      // another replica took the work over: it runs the step itself).
      if (deps.lease && !deps.lease.isHeld()) await deps.lease.held();
      ok = true;
      return value;
    } finally {
      deps.halt?.signal.removeEventListener('abort', onHalt);
      lapse?.removeEventListener('abort', onLapse);
      done.abort();
      await watcher;
      deps.observe?.({
        kind: owner.kind,
        operationId: owner.operationId,
        step: name,
        attempt: attemptNo,
        durationMs: performance.now() - started,
        ok,
      });
    }
  }

  async function withRetries<T>(
    name: string,
    policyName: PolicyName | StepPolicy,
    fn: (s: StepScope) => Promise<T>,
  ): Promise<StepOutcome<T>> {
    const policy: StepPolicy =
      typeof policyName === 'string' ? stepPolicies[policyName] : policyName;
    const random = deps.random ?? Math.random;
    const started = deps.clock.now().getTime();
    let databaseLosses = 0;
    for (let n = 1; ; n++) {
      try {
        // JSON: what a replay returns is what the first run returns, dates as strings.
        return { ok: true, value: await attempt(name, fn, n) };
      } catch (err) {
        // The lease lapsed, or the database went away: nothing of this attempt is recorded; it
        // runs again, not counted as a retry, once the lease is renewed (proof that the database
        // answers and that nobody took the work over).
        const lease = deps.lease;
        if (lease && (!lease.isHeld() || isConnectionLoss(err))) {
          await (lease.isHeld() ? lease.renewed() : lease.held());
          n--;
          continue;
        }
        // Without a lease (tests on fakes, tools), the same rule: the database's unavailability
        // (a 10 s pool-connect timeout on a busy replica failed deploys for good) says nothing of
        // the step's work. It runs again after a pause on the clock, not counted, until cancelled.
        if (!lease && isConnectionLoss(err)) {
          databaseLosses++;
          const pause = retryDelayMs(databaseRetry, databaseLosses, undefined, random);
          await log(name)(
            'warn',
            `${name}: database unavailable (${messageOf(err)}); running the step again in ${Math.round(pause / 1000)} s`,
          ).catch(() => {});
          try {
            await wait(pause);
          } catch (sleepErr) {
            return { ok: false, error: encodeError(sleepErr) };
          }
          n--;
          continue;
        }
        const delay =
          err instanceof Retryable ? retryDelayMs(policy, n, err.retryAfterMs, random) : 0;
        const spent = deps.clock.now().getTime() - started;
        const withinBudget = policy.budgetMs === undefined || spent + delay <= policy.budgetMs;
        const retry = err instanceof Retryable && n <= policy.retries && withinBudget;
        const note = retry
          ? ` (attempt ${n} of ${policy.retries + 1}, retrying in ${Math.round(delay / 1000)} s)`
          : err instanceof Retryable && !withinBudget
            ? ` (retry budget of ${Math.round(policy.budgetMs! / 1000)} s spent after ${n} attempts)`
            : '';
        await log(name)(
          err instanceof Cancelled ? 'warn' : retry ? 'warn' : 'error',
          `${name}: ${(err as Error).message}${note}`,
        ).catch(() => {});
        if (!retry) return { ok: false, error: encodeError(err) };
        try {
          await wait(delay);
        } catch (sleepErr) {
          return { ok: false, error: encodeError(sleepErr) };
        }
      }
    }
  }

  return {
    get failedStep() {
      return failed ?? current;
    },
    async run(name, policy, fn) {
      current = name;
      // The flow went on past any earlier failure (a best-effort hook): that is not where it failed.
      failed = undefined;
      const outcome = await checkpoint(name, () =>
        deps.halt
          ? deps.halt.guard(() => withRetries(name, policy, fn))
          : withRetries(name, policy, fn),
      );
      if (outcome.ok) return outcome.value;
      failed ??= name;
      throw decodeError(outcome.error);
    },
  };
}
