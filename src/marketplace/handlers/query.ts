import { isFailed, isInProgress, isSettled } from '../../deployments/model/states.js';
import type { Instance } from '../../platform/db/schema.js';
import {
  type AppInfo,
  answer,
  encryptAppInfo,
  type InstanceInfo,
  plainAppInfo,
  ResultCode,
} from '../protocol/answers.js';
import type { Command } from '../protocol/commands.js';
import { accessInfo, type HandlerContext, type Outcome, outcome } from './context.js';
import { unknownTestInfo } from './test-calls.js';

/**
 * queryInstance (spec §5): polled after 000004 until ready. 000000 when every requested instance is
 * ready (or frozen), 000004 while any is still being provisioned, 000005 when one failed, 000003 when
 * none is known. Access information is only handed out for settled instances: V1 encrypts the
 * credentials and says how (`encryptType`), V2 answers them in plain text without `encryptType`.
 */
export async function handleQuery(
  ctx: HandlerContext,
  cmd: Extract<Command, { kind: 'query' }>,
): Promise<Outcome> {
  const rows =
    cmd.instanceIds.length === 0
      ? []
      : await ctx.tx
          .selectFrom('instances')
          .selectAll()
          .where('id', 'in', cmd.instanceIds)
          .execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  if (cmd.test) return testQuery(ctx, cmd.instanceIds, byId);
  if (rows.length === 0)
    return outcome(answer(ResultCode.unknownInstance, 'none of the instances exist'));
  const known = cmd.instanceIds.map((id) => byId.get(id)).filter((r): r is Instance => !!r);
  const answered = answeredAppInfo(ctx);
  const info: InstanceInfo[] = known.map((inst) => {
    const item: InstanceInfo = { instanceId: inst.id };
    if (isSettled(inst.status)) item.appInfo = answered(accessInfo(ctx.deps, inst));
    return item;
  });
  const states = cmd.instanceIds.map((id) => byId.get(id)?.status);
  const code = states.some((s) => s && isFailed(s))
    ? ResultCode.internalError
    : states.some((s) => s && isInProgress(s))
      ? ResultCode.inProgress
      : states.every((s) => s && isSettled(s))
        ? ResultCode.ok
        : ResultCode.unknownInstance;
  const counts = new Map<string, number>();
  for (const s of states) counts.set(s ?? 'unknown', (counts.get(s ?? 'unknown') ?? 0) + 1);
  const summary = [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
  return outcome(
    {
      ...answer(code, summary),
      ...encryptTypeOf(ctx),
      info,
    },
    { instanceId: known.length === 1 ? known[0]!.id : null },
  );
}

/** V1 encrypts the credentials (and says how); V2 answers them in plain text (spec §6 AppInfo). */
const answeredAppInfo = (ctx: HandlerContext) => (plain: AppInfo) =>
  ctx.protocol === 'v1'
    ? encryptAppInfo(plain, ctx.key, ctx.deps.encryptType)
    : plainAppInfo(plain);
const encryptTypeOf = (ctx: HandlerContext) =>
  ctx.protocol === 'v1' ? { encryptType: String(ctx.deps.encryptType) } : {};

/**
 * A test call (spec §11): an entry for every id asked, whatever its state; 000004 while one is
 * still being provisioned, else 000000. Never 000003 or 000005: a probe's instance may have been
 * released and forgotten long ago, or its mock order failed.
 */
function testQuery(ctx: HandlerContext, ids: string[], byId: Map<string, Instance>): Outcome {
  const info: InstanceInfo[] = ids.map((id) => {
    const inst = byId.get(id);
    if (inst && isInProgress(inst.status)) return { instanceId: id };
    const plain = inst ? accessInfo(ctx.deps, inst) : unknownTestInfo(ctx, id);
    return {
      instanceId: id,
      appInfo: answeredAppInfo(ctx)(plain),
    };
  });
  const busy = ids.some((id) => {
    const s = byId.get(id)?.status;
    return s !== undefined && isInProgress(s);
  });
  const known = ids.filter((id) => byId.has(id)).length;
  return outcome(
    {
      ...answer(
        busy ? ResultCode.inProgress : ResultCode.ok,
        `test call: ${known} of ${ids.length} known${busy ? ', provisioning' : ''}`,
      ),
      ...encryptTypeOf(ctx),
      info,
    },
    { instanceId: ids.length === 1 && known === 1 ? ids[0]! : null },
  );
}
