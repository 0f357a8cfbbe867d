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
  if (rows.length === 0)
    return outcome(answer(ResultCode.unknownInstance, 'none of the instances exist'));
  const byId = new Map(rows.map((r) => [r.id, r]));
  const known = cmd.instanceIds.map((id) => byId.get(id)).filter((r): r is Instance => !!r);
  const v1 = ctx.protocol === 'v1';
  const answered = (plain: AppInfo) =>
    v1 ? encryptAppInfo(plain, ctx.key, ctx.deps.encryptType) : plainAppInfo(plain);
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
      ...(v1 ? { encryptType: String(ctx.deps.encryptType) } : {}),
      info,
    },
    { instanceId: known.length === 1 ? known[0]!.id : null },
  );
}
