import type { AppInfo } from '../protocol/answers.js';
import { answer, ResultCode } from '../protocol/answers.js';
import { type HandlerContext, type Outcome, outcome, statusPageUrl } from './context.js';

/**
 * Debug calls (`testFlag=1`, spec §11). KooGallery re-runs the seller's saved debug cases against
 * the production URL every morning and afternoon with the same orderIds and instanceIds, in any
 * order, long after the instance was released; five days of failures freeze the product. So a
 * test call that authenticates and parses is answered success whatever state its instance is in.
 * It acts only on a test instance: one that is unknown or released, or a real buyer's instance a
 * debug case happens to name, is left as it is (decision: a debug case must never renew, freeze
 * or release a buyer's deployment).
 */
export async function isTestInstance(ctx: HandlerContext, instanceId: string): Promise<boolean> {
  const row = await ctx.tx
    .selectFrom('instances')
    .select('test')
    .where('id', '=', instanceId)
    .executeTakeFirst();
  return row?.test === true;
}

/** The answer to a test call that has nothing to act on: success, nothing recorded. */
export function nothingToDo(instanceId: string): Outcome {
  return outcome(
    answer(
      ResultCode.ok,
      `test call: instance ${instanceId.slice(0, 64)} is not a live test instance, nothing done`,
    ),
  );
}

/** queryInstance's entry for an id no instance has, in a test call: the status page, a memo. */
export function unknownTestInfo(ctx: HandlerContext, instanceId: string): AppInfo {
  return {
    frontEndUrl: statusPageUrl(ctx.deps, instanceId),
    memo: 'Test call: no deployment has this id (released and forgotten, or never made).',
  };
}
