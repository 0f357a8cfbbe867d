import type { Clock } from '../../platform/clock.js';
import type { AppInfo } from './answer-check.js';
import type { Ledger, LedgerEntry, OperationKind } from './ledger.js';
import type { CallResult, MarketplaceClient } from './marketplace-client.js';
import type { CallSpec } from './request-builder.js';
import { attemptOffsets, type RetryPolicy } from './retry-policy.js';
import type { Timer } from './timer.js';

/**
 * Delivers one notification the way the marketplace does (spec §7): each attempt may go out as
 * several concurrent copies, failed attempts are retried on the policy's cadence until one is
 * accepted or the window closes, and an accepted call may be resent. Every exchange goes to the
 * ledger; answers that contradict an accepted one are recorded as violations.
 */

export interface DeliveryDeps {
  client: MarketplaceClient;
  clock: Clock;
  timer: Timer;
  ledger: Ledger;
}

export interface Delivery {
  operationId: string;
  kind: OperationKind;
  /** Builds the call for one copy; called anew for each (fresh businessId, nonce, signature). */
  spec(): CallSpec;
  /** Absent: a single attempt. */
  policy?: RetryPolicy;
  /** Told after each attempt (all its copies answered or failed). */
  onAttempt?(attempt: number, results: CallResult[]): void;
  duplicates: number;
  resends: number;
}

export interface DeliveryOutcome {
  /** The first accepted answer, if any. */
  accepted?: CallResult;
  /** Every result, in the order sent. */
  results: CallResult[];
  attempts: number;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

function sameAccess(a: AppInfo | undefined, b: AppInfo | undefined): boolean {
  if (!a || !b) return true;
  return a.frontEndUrl === b.frontEndUrl && a.userName === b.userName && a.password === b.password;
}

export function createDeliverer(deps: DeliveryDeps) {
  async function sendOne(
    d: Delivery,
    attempt: number,
    copy: number,
    resend: boolean,
  ): Promise<{ result: CallResult; entry: LedgerEntry }> {
    const spec = d.spec();
    const sentAt = deps.clock.now().toISOString();
    const request = deps.client.build(spec);
    const result = await deps.timer.track(deps.client.send(spec, request));
    const entry = deps.ledger.record({
      operationId: d.operationId,
      kind: d.kind,
      attempt,
      copy,
      resend,
      protocol: spec.protocol,
      activity: spec.activity,
      orderId: str(spec.fields.orderId),
      orderLineId: str(spec.fields.orderLineId),
      instanceId: str(spec.fields.instanceId) ?? result.instanceId,
      businessId: str(spec.fields.businessId),
      sentAt,
      signedAt: request.signedAt.toISOString(),
      request: { method: request.method, url: request.url, body: request.body },
      answer: {
        status: result.status,
        resultCode: result.resultCode,
        resultMsg: result.resultMsg,
        instanceId: result.instanceId,
        bodySign: result.bodySign,
        latencyMs: result.latencyMs,
        error: result.error,
        problems: result.problems,
        body: result.bodyText,
      },
      accepted: result.accepted,
    });
    return { result, entry };
  }

  function checkAgainst(d: Delivery, first: CallResult, other: CallResult, entry: LedgerEntry) {
    const violation = (message: string) =>
      deps.ledger.addViolation({
        at: deps.clock.now().toISOString(),
        operationId: d.operationId,
        instanceId: first.instanceId ?? entry.instanceId,
        orderId: entry.orderId,
        message: `${entry.activity} (ledger #${entry.seq}): ${message}`,
      });
    // A copy lost on the way (connection refused or dropped) says nothing about the seller's
    // consistency: the marketplace resends it, as it does any unanswered call.
    if (other.status === undefined) return;
    if (!other.accepted) {
      const why = other.error ?? other.problems.join('; ');
      violation(
        `a repeat of an accepted call was not accepted (${other.resultCode ?? 'no result code'}${why ? `: ${why}` : ''})`,
      );
      return;
    }
    if (first.instanceId && other.instanceId && first.instanceId !== other.instanceId) {
      violation(`answered instanceId ${other.instanceId}, earlier ${first.instanceId}`);
    }
    if (!sameAccess(first.appInfo, other.appInfo)) {
      violation('answered other access information than earlier');
    }
  }

  /**
   * @example
   *   const outcome = await deliver({ operationId, kind: 'buy', spec: () => spec,
   *     policy: defaultRetryPolicies.purchase, duplicates: 1, resends: 0 });
   */
  async function deliver(d: Delivery): Promise<DeliveryOutcome> {
    const results: CallResult[] = [];
    const offsets = d.policy ? attemptOffsets(d.policy) : [0];
    // The cadence runs on the timer's timeline (virtual, or time-scaled real time).
    const start = deps.timer.now();
    let accepted: CallResult | undefined;
    let attempts = 0;
    for (const offset of offsets) {
      const wait = start + offset - deps.timer.now();
      if (wait > 0) await deps.timer.sleep(wait);
      attempts++;
      const copies = await Promise.all(
        Array.from({ length: Math.max(1, d.duplicates) }, (_, copy) =>
          sendOne(d, attempts, copy, false),
        ),
      );
      results.push(...copies.map((c) => c.result));
      d.onAttempt?.(
        attempts,
        copies.map((c) => c.result),
      );
      const winner = copies.find((c) => c.result.accepted);
      if (winner) {
        accepted = winner.result;
        for (const c of copies) if (c !== winner) checkAgainst(d, accepted, c.result, c.entry);
        break;
      }
    }
    if (accepted) {
      for (let i = 0; i < d.resends; i++) {
        const { result, entry } = await sendOne(d, attempts, 0, true);
        results.push(result);
        checkAgainst(d, accepted, result, entry);
      }
    }
    return { accepted, results, attempts };
  }

  return { deliver };
}
