import type { Command } from 'commander';
import { ActionError } from '../../platform/errors.js';
import type { DeploymentDetail, LogLine } from '../model.js';
import { deploymentDetail } from '../queries/deployment-detail.js';
import { type OperatorIo, toCliError, withOperator } from './operator-context.js';
import { duration, printJson, table, when } from './output.js';

export function formatLogLine(l: LogLine): string {
  const where = l.step ? `${l.step}${l.stream ? `/${l.stream}` : ''}` : '-';
  return `${when(l.at)}  ${l.level.padEnd(5)}  ${where.padEnd(22)}  ${l.message}\n`;
}

function render(d: DeploymentDetail): string {
  const x = d.deployment;
  const out: string[] = [];
  out.push(`Deployment ${x.id}: ${x.status}${x.test ? ' (test order)' : ''}\n`);
  if (x.statusDetail) out.push(`  ${x.statusDetail}\n`);
  out.push(
    `  product   ${x.product ?? '-'} ${x.templateVersion ?? ''} / sku ${x.sku ?? '-'}   order ${x.orderId} (${x.protocol})\n`,
    `  customer  ${x.customerName ?? '-'} (${x.customerId ?? '-'})\n`,
    `  server    ${x.serverId ?? '-'}  ${x.flavor ?? '-'} in ${x.az ?? '-'}  eip ${x.eip ?? '-'}  region ${x.region ?? '-'}\n`,
    `  network   vpc ${x.vpcId ?? '-'}  subnet ${x.subnetId ?? '-'}  security group ${x.securityGroupId ?? '-'}\n`,
    `  times     created ${when(x.createdAt)}  ready ${when(x.readyAt)}  released ${when(x.releasedAt)}\n`,
  );
  for (const op of d.operations) {
    const edits = Object.keys(op.overrides).length
      ? `  overrides ${JSON.stringify(op.overrides)}`
      : '';
    out.push(
      `\nOperation ${op.id}: ${op.kind} ${op.status}${op.failedStep ? ` at ${op.failedStep}` : ''}  attempts ${op.attempts}  created ${when(op.createdAt)}${edits}\n`,
    );
    if (op.error?.message) out.push(`  error: ${String(op.error.message)}\n`);
    if (op.stepsUnavailable) out.push(`  (steps unavailable: ${op.stepsUnavailable})\n`);
    if (op.steps.length) {
      const rows = op.steps.map((s) => [
        s.name,
        s.status,
        when(s.startedAt),
        duration(s.durationMs),
        s.error,
      ]);
      out.push(
        table(
          ['  STEP', 'STATUS', 'STARTED', 'DURATION', 'ERROR'],
          rows.map((r) => [`  ${r[0]}`, ...r.slice(1)]),
          90,
        ),
      );
    }
  }
  if (d.logTail.length) {
    out.push(`\nLog (last ${d.logTail.length} lines; kgd deployments logs ${x.id} for more)\n`);
    for (const l of d.logTail) out.push(formatLogLine(l));
  }
  return out.join('');
}

export function registerDeploymentsShow(group: Command, io: OperatorIo): void {
  group
    .command('show <id>')
    .description(
      'one deployment: its operations with steps, timings, attempts, errors, and the log tail',
    )
    .option('--tail <n>', 'log lines to show', '20')
    .option('--json', 'print JSON')
    .action(async (id: string, flags: { tail: string; json?: boolean }) => {
      const tail = Number(flags.tail);
      if (!Number.isInteger(tail) || tail < 0 || tail > 5000)
        throw toCliError(
          new ActionError('INVALID_REQUEST', '--tail: expected a number from 0 to 5000'),
        );
      await withOperator(io, async (ctx) => {
        const workflows = await ctx.workflows().catch(() => undefined);
        const detail = await deploymentDetail(
          { db: ctx.db, steps: workflows ? (w) => workflows.listSteps(w) : undefined },
          id,
          ctx.clock.now(),
          { tail: Math.max(tail, 1) },
        );
        if (tail === 0) detail.logTail = [];
        if (flags.json) printJson(io, detail);
        else io.stdout.write(render(detail));
      });
    });
}
