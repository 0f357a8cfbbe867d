import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/database.js';
import { ActionError, actionCode } from '../../platform/errors.js';
import { recordAudit } from '../queries/audit.js';
import { resolveDeployment } from '../queries/deployments.js';

export interface Who {
  /** Token name, or `cli:<os user>`. */
  actor: string;
  /** Required: why, in the operator's words (kept in the audit log and the deployment's log). */
  reason: string;
}

export function checkReason(reason: string | undefined): string {
  const r = (reason ?? '').trim();
  if (!r)
    throw new ActionError(
      'INVALID_REQUEST',
      'reason: required for every change (it goes to the audit log)',
    );
  if (r.length > 500) throw new ActionError('INVALID_REQUEST', 'reason: at most 500 characters');
  return r;
}

/**
 * Runs operator actions and audits each one: who, what, on which target, why, when, and the
 * deployment's state before and after (or what the action says), whether it succeeded, was
 * refused (bad input, wrong state, unknown id) or failed.
 */
export function createAuditor(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;
  async function snapshot(target: string) {
    try {
      const found = await resolveDeployment(db, target);
      const op = found.operation ?? found.operations.at(-1);
      return {
        ...(found.instance
          ? {
              instance: {
                id: found.instance.id,
                status: found.instance.status,
                statusDetail: found.instance.status_detail,
                flavor: found.instance.flavor,
                az: found.instance.az,
              },
            }
          : {}),
        ...(op
          ? {
              operation: {
                id: op.id,
                kind: op.kind,
                status: op.status,
                failedStep: op.failed_step,
                attempts: op.attempts,
                overrides: op.overrides,
              },
            }
          : {}),
      };
    } catch {
      return null;
    }
  }

  /** Runs `act` and audits it; refusals and failures are audited too, then rethrown. */
  return async function audited<T>(
    action: string,
    who: Who,
    target: string,
    act: () => Promise<T>,
    options: {
      before?: () => Promise<Record<string, unknown> | null>;
      after?: (r: T) => Promise<Record<string, unknown> | null>;
    } = {},
  ): Promise<T> {
    const reason = checkReason(who.reason);
    const actor = who.actor;
    const before = options.before ? await options.before() : await snapshot(target);
    try {
      const result = await act();
      const after = options.after ? await options.after(result) : await snapshot(target);
      await recordAudit(db, {
        at: clock.now(),
        actor,
        action,
        target,
        reason,
        before,
        after,
        result: 'ok',
      });
      return result;
    } catch (err) {
      const code = actionCode(err);
      const refused = code !== undefined && code !== 'UNAVAILABLE';
      await recordAudit(db, {
        at: clock.now(),
        actor,
        action,
        target,
        reason,
        before,
        result: refused ? 'refused' : 'failed',
        detail: (err as Error).message,
      });
      throw err;
    }
  };
}
