import type { AppInfo } from './answer-check.js';
import type { LedgerEntry, Violation } from './ledger.js';
import type { OperationView } from './operations.js';
import type { instanceView, startedView } from './views.js';

/** Human summaries for `kgd marketplace ...` (the `--json` output is the control API's answer). */

type Instance = ReturnType<typeof instanceView>;
type Started = ReturnType<typeof startedView>;

function access(a: AppInfo | undefined, showPassword: boolean): string | undefined {
  if (!a) return undefined;
  const parts = [
    a.frontEndUrl && `url ${a.frontEndUrl}`,
    a.adminUrl && `admin ${a.adminUrl}`,
    a.userName && `user ${a.userName}`,
    a.password && `password ${showPassword ? a.password : '******** (--show-password)'}`,
  ];
  return parts.filter(Boolean).join('  ');
}

function formatOperation(op: OperationView): string {
  const attempts = `${op.attempts} attempt${op.attempts === 1 ? '' : 's'}`;
  const code = op.resultCode ? `, resultCode ${op.resultCode}` : '';
  const message = op.message ? ` — ${op.message}` : '';
  return `${op.kind} ${op.id}: ${op.status} after ${attempts}${code}${message}`;
}

export function formatInstance(i: Instance, showPassword = false): string {
  const p = i.terms.productInfo;
  const lines = [
    `instance ${i.instanceId ?? '(no instanceId yet)'}  ${i.state}  ${i.protocol}${i.protocol === 'v2' ? `/${i.v2Body}` : ''}`,
    `  order ${i.purchaseOrderId}  product ${p.productId}  sku ${p.skuCode}${p.linearValue ? `  linear ${p.linearValue}` : ''}${i.terms.expireTime ? `  expires ${i.terms.expireTime}` : ''}`,
  ];
  const a = access(i.appInfo, showPassword);
  if (a) lines.push(`  access ${a}`);
  if (i.license) lines.push(`  license ${i.license}`);
  return lines.join('\n');
}

export function formatStarted(s: Started, showPassword = false): string {
  const lines = [formatOperation(s.operation)];
  if (s.instance) lines.push(formatInstance(s.instance, showPassword));
  else if (s.order) lines.push(`order ${s.order.orderId} (${s.order.orderType})`);
  if (s.order && s.instance && s.order.orderId !== s.instance.purchaseOrderId) {
    lines.push(`  new order ${s.order.orderId} (${s.order.orderType})`);
  }
  return `${lines.join('\n')}\n`;
}

export function formatLedger(entries: LedgerEntry[], violations: Violation[]): string {
  const lines = entries.map((e) => {
    const copy = e.copy > 0 ? ` copy ${e.copy}` : '';
    const resend = e.resend ? ' resend' : '';
    const answer = e.answer.error ?? `${e.answer.status} ${e.answer.resultCode ?? '-'}`;
    const verdict = e.accepted
      ? 'accepted'
      : `REFUSED${e.answer.problems.length ? ` (${e.answer.problems.join('; ')})` : ''}`;
    const ids = [e.orderId && `order ${e.orderId}`, e.instanceId && `instance ${e.instanceId}`]
      .filter(Boolean)
      .join(' ');
    return `#${e.seq} ${e.sentAt} ${e.protocol} ${e.activity} ${ids} attempt ${e.attempt}${copy}${resend}: ${answer} ${e.answer.latencyMs}ms ${verdict}`;
  });
  for (const v of violations) lines.push(`VIOLATION ${v.at} ${v.message}`);
  if (lines.length === 0) lines.push('(no calls yet)');
  return `${lines.join('\n')}\n`;
}
