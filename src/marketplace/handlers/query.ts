import { getInstances } from '../../deployments/store.js';
import type { Instance } from '../../platform/db/schema.js';
import type { Command } from '../activities/commands.js';
import { answer, encryptAppInfo, type InstanceInfo } from '../gateway/answers.js';
import { accessInfo, type HandlerContext, type Outcome, outcome } from './context.js';

const settled = new Set(['ready', 'frozen']);
const failed = new Set(['failed', 'cleanup_failed']);

/**
 * queryInstance (spec §5): polled after 000004 until ready. 000000 when every requested instance is
 * ready (or frozen), 000004 while any is still being provisioned, 000005 when one failed, 000003 when
 * none is known. Access information is only handed out for settled instances.
 */
export async function handleQuery(
  ctx: HandlerContext,
  cmd: Extract<Command, { kind: 'query' }>,
): Promise<Outcome> {
  const rows = await getInstances(ctx.tx, cmd.instanceIds);
  if (rows.length === 0) return outcome(answer('000003', 'none of the instances exist'));
  const byId = new Map(rows.map((r) => [r.id, r]));
  const known = cmd.instanceIds.map((id) => byId.get(id)).filter((r): r is Instance => !!r);
  const info: InstanceInfo[] = known.map((inst) => {
    const item: InstanceInfo = { instanceId: inst.id };
    if (settled.has(inst.status)) {
      item.appInfo = encryptAppInfo(accessInfo(ctx.deps, inst), ctx.key, ctx.deps.encryptType);
    }
    return item;
  });
  const states = cmd.instanceIds.map((id) => byId.get(id)?.status ?? 'unknown');
  const code = states.some((s) => failed.has(s))
    ? '000005'
    : states.some((s) => s === 'pending' || s === 'deploying')
      ? '000004'
      : states.every((s) => settled.has(s))
        ? '000000'
        : '000003';
  const counts = new Map<string, number>();
  for (const s of states) counts.set(s, (counts.get(s) ?? 0) + 1);
  const summary = [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
  return outcome(
    { ...answer(code, summary), encryptType: String(ctx.deps.encryptType), info },
    { instanceId: known.length === 1 ? known[0]!.id : null },
  );
}
