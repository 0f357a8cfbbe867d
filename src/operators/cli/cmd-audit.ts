import type { Command } from 'commander';
import { listAudit } from '../queries/audit.js';
import { type OperatorIo, withOperator } from './operator-context.js';
import { printJson, table, when } from './output.js';

const brief = (v: Record<string, unknown> | null) => {
  if (!v) return null;
  const i = v.instance as { status?: string } | undefined;
  const o = v.operation as { status?: string; kind?: string } | undefined;
  if (i || o) return [i?.status, o && `${o.kind} ${o.status}`].filter(Boolean).join(' / ');
  return JSON.stringify(v);
};

/** `kgd audit list`: every change operators made, who made it and why. */
export function registerAuditCommand(program: Command, io: OperatorIo): void {
  program
    .command('audit')
    .description('the audit log of operator actions')
    .command('list')
    .alias('ls')
    .description('entries, newest first')
    .option(
      '--target <id>',
      'an instance (matches its operations too), operation, inbox:<id> or token:<name>',
    )
    .option('--actor <who>', 'a token name or cli:<user>')
    .option(
      '--action <action>',
      'deployment.rerun, deployment.cancel, inbox.replay, sweep.delete, ...',
    )
    .option('--since <when>', 'since an ISO date/time or a duration (24h, 7d)')
    .option('--limit <n>', 'at most this many rows (1-500)', '50')
    .option('--json', 'print JSON')
    .action(async (flags: Record<string, string | boolean | undefined>) => {
      await withOperator(io, async (ctx) => {
        const rows = await listAudit(ctx.db, flags as Record<string, string>, ctx.clock.now());
        if (flags.json) return printJson(io, rows);
        if (rows.length === 0) return void io.stdout.write('no entries\n');
        io.stdout.write(
          table(
            ['AT', 'ACTOR', 'ACTION', 'TARGET', 'RESULT', 'REASON', 'BEFORE', 'AFTER'],
            rows.map((a) => [
              when(a.at),
              a.actor,
              a.action,
              a.target,
              a.result === 'ok' ? 'ok' : `${a.result}: ${a.detail ?? ''}`,
              a.reason,
              brief(a.before),
              brief(a.after),
            ]),
            50,
          ),
        );
      });
    });
}
