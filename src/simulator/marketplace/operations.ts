import type { Clock } from '../../platform/clock.js';
import type { OperationKind } from './ledger.js';

/**
 * A marketplace-side operation (a purchase, a renewal...): its delivery runs in the background,
 * possibly for hours of (virtual) time; callers wait for the milestone they care about.
 */

type OperationStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface OperationView {
  id: string;
  kind: OperationKind;
  /** The instance (instanceId or purchase key) or order it concerns. */
  ref?: string;
  status: OperationStatus;
  startedAt: string;
  finishedAt?: string;
  attempts: number;
  /** Result code of the accepted answer, else of the last answer. */
  resultCode?: string;
  message?: string;
}

type Milestone = 'sent' | 'answered' | 'done';

export interface Operation {
  view: OperationView;
  /** First attempt over (every copy answered or failed). */
  sent: Promise<void>;
  /** An answer was accepted, or the marketplace gave up. */
  answered: Promise<void>;
  /** Nothing more will happen (for a V2 purchase: polling ended too). */
  done: Promise<void>;
  markSent(): void;
  markAnswered(): void;
  finish(status: OperationStatus, message?: string): void;
  wait(milestone: Milestone | 'none'): Promise<void>;
}

export interface OperationRegistry {
  start(kind: OperationKind, ref?: string): Operation;
  get(id: string): Operation | undefined;
  list(): OperationView[];
  /** Settles when every running operation is done. */
  idle(): Promise<void>;
  clear(): void;
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export function createOperationRegistry(clock: Clock): OperationRegistry {
  const ops = new Map<string, Operation>();
  let n = 0;
  return {
    start(kind, ref) {
      const sent = deferred();
      const answered = deferred();
      const done = deferred();
      const view: OperationView = {
        id: `op-${++n}`,
        kind,
        ref,
        status: 'running',
        startedAt: clock.now().toISOString(),
        attempts: 0,
      };
      const op: Operation = {
        view,
        sent: sent.promise,
        answered: answered.promise,
        done: done.promise,
        markSent: sent.resolve,
        markAnswered: answered.resolve,
        finish(status, message) {
          if (view.status !== 'running') return;
          view.status = status;
          view.message = message ?? view.message;
          view.finishedAt = clock.now().toISOString();
          sent.resolve();
          answered.resolve();
          done.resolve();
        },
        wait(milestone) {
          if (milestone === 'none') return Promise.resolve();
          return op[milestone];
        },
      };
      ops.set(view.id, op);
      return op;
    },
    get: (id) => ops.get(id),
    list: () => [...ops.values()].map((o) => o.view),
    async idle() {
      for (;;) {
        const running = [...ops.values()].filter((o) => o.view.status === 'running');
        if (running.length === 0) return;
        await Promise.all(running.map((o) => o.done));
      }
    },
    clear: () => ops.clear(),
  };
}
