import { checkChange } from '../../deployments/commands/check-change.js';
import { answer, ResultCode } from '../protocol/answers.js';
import type { Command } from '../protocol/commands.js';
import type { HandlerContext, Outcome } from './context.js';
import { outcome } from './context.js';

/**
 * changeInstanceCheck (V2, spec §6): may the instance change to the target sku at renewal? Read
 * only. 000000 allowed, 000003 unknown instance, 000005 with the reason when not (the spec names no
 * code for "not possible"). A debug call (testFlag=1) answers 000000 whatever the state (spec §11).
 */
export async function handleChangeCheck(
  ctx: HandlerContext,
  cmd: Extract<Command, { kind: 'changeCheck' }>,
): Promise<Outcome> {
  if (cmd.test) return outcome(answer(ResultCode.ok));
  const r = await checkChange(ctx.tx, cmd, ctx.deps.skuChange);
  switch (r.kind) {
    case 'unknown':
      return outcome(
        answer(
          ResultCode.unknownInstance,
          `instance ${cmd.instanceId.slice(0, 64)} does not exist`,
        ),
      );
    case 'refused':
      return outcome(
        answer(ResultCode.internalError, `change not possible: ${r.reason}`.slice(0, 255)),
        {
          instanceId: r.instanceId,
        },
      );
    case 'allowed':
      return outcome(answer(ResultCode.ok), { instanceId: r.instanceId });
  }
}
