import type { Protocol } from './request-builder.js';

/**
 * Every call the simulated marketplace sent and what came back, in order. It is what the
 * marketplace "believes": a checker compares `accepted()` with the service's own inbox (every
 * call the marketplace believes answered must be there, with the same answer).
 */

export type OperationKind =
  | 'buy'
  | 'renew'
  | 'expire'
  | 'freeze'
  | 'unfreeze'
  | 'release'
  | 'upgrade'
  | 'query'
  | 'license'
  | 'notify'
  | 'raw';

export interface LedgerEntry {
  seq: number;
  operationId: string;
  kind: OperationKind;
  /** 1-based attempt of the retry cadence. */
  attempt: number;
  /** 0-based copy among concurrent duplicates of one attempt. */
  copy: number;
  /** A resend after an accepted answer (at-least-once delivery). */
  resend: boolean;
  protocol: Protocol;
  activity: string;
  orderId?: string;
  orderLineId?: string;
  instanceId?: string;
  businessId?: string;
  /** Virtual time the call was sent. */
  sentAt: string;
  /** The time the signature claims (differs from sentAt under clock skew). */
  signedAt: string;
  request: { method: string; url: string; body?: string };
  answer: {
    status?: number;
    resultCode?: string;
    resultMsg?: string;
    instanceId?: string;
    bodySign: string;
    latencyMs: number;
    error?: string;
    problems: string[];
    body?: string;
  };
  accepted: boolean;
}

export interface Violation {
  at: string;
  operationId: string;
  instanceId?: string;
  orderId?: string;
  message: string;
}

export interface Ledger {
  record(entry: Omit<LedgerEntry, 'seq'>): LedgerEntry;
  /** Entries with seq greater than `since` (all by default). */
  entries(since?: number): LedgerEntry[];
  /** Calls the marketplace believes answered successfully. */
  accepted(): LedgerEntry[];
  /** Inconsistent answers seen (e.g. a resend answered with another instanceId). */
  violations(): Violation[];
  addViolation(v: Violation): void;
  clear(): void;
}

/**
 * @example
 *   const ledger = createLedger();
 *   const believed = ledger.accepted(); // compare with the service's inbox
 */
export function createLedger(): Ledger {
  let seq = 0;
  let list: LedgerEntry[] = [];
  let problems: Violation[] = [];
  return {
    record(entry) {
      const full = { ...entry, seq: ++seq };
      list.push(full);
      return full;
    },
    entries: (since = 0) => list.filter((e) => e.seq > since),
    accepted: () => list.filter((e) => e.accepted),
    violations: () => [...problems],
    addViolation(v) {
      problems.push(v);
    },
    clear() {
      list = [];
      problems = [];
    },
  };
}
