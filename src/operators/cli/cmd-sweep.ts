import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { CliError } from '../../platform/cli-io.js';
import type { SweepCandidate } from '../model.js';
import { resourceCount } from '../queries/sweep.js';
import { type OperatorIo, operatorExitCodes, withOperator } from './operator-context.js';
import { createProgress, printJson, table } from './output.js';

function describe(list: SweepCandidate[]): string {
  if (list.length === 0)
    return 'nothing to sweep: every tagged resource belongs to a live deployment\n';
  return table(
    ['INSTANCE', 'WHY', 'SERVERS', 'SECURITY GROUPS', 'SUBNETS', 'VPCS'],
    list.map((c) => [
      c.instanceId || '(no kgd-instance tag)',
      c.why,
      c.servers.map((s) => `${s.id} (${s.status})`).join(' '),
      c.securityGroups.map((x) => x.id).join(' '),
      c.subnets.map((x) => x.id).join(' '),
      c.vpcs.map((x) => x.id).join(' '),
    ]),
    80,
  );
}

async function confirm(io: OperatorIo, question: string): Promise<boolean> {
  io.stderr.write(question);
  const rl = createInterface({ input: io.stdin, terminal: false });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.once('line', resolve);
      rl.once('close', () => resolve(''));
    });
    return answer.trim() === 'yes';
  } finally {
    rl.close();
  }
}

/**
 * `kgd sweep [--delete]`: cloud resources the project tagged whose deployment is released,
 * failed or unknown to the database. `--delete` asks to type "yes" on a terminal (or takes
 * `--yes`), then deletes servers (with EIPs and volumes), security groups, subnets and VPCs.
 */
export function registerSweepCommand(program: Command, io: OperatorIo): void {
  program
    .command('sweep')
    .description(
      'find (and with --delete remove) tagged cloud resources of released, failed or unknown deployments',
    )
    .option('--delete', 'delete them (asks for confirmation)')
    .option('--yes', 'with --delete: do not ask (scripts)')
    .option('--instance <id...>', 'only these instances (kgd-instance tag values)')
    .option('--reason <text>', 'why (kept in the audit log)', 'sweep of leftover resources')
    .option('--json', 'print JSON')
    .action(
      async (flags: {
        delete?: boolean;
        yes?: boolean;
        instance?: string[];
        reason: string;
        json?: boolean;
      }) => {
        const interactive = !!(io.stdin as { isTTY?: boolean }).isTTY;
        if (flags.delete && !flags.yes && !interactive)
          throw new CliError(
            '--delete asks for confirmation on a terminal: add --yes to delete from a script',
            operatorExitCodes.usage,
          );
        await withOperator(io, async (ctx) => {
          const progress = createProgress(io);
          const cloud = await ctx.cloud();
          const service = await ctx.service({ cloud, onSweepProgress: (m) => progress.update(m) });
          progress.update('listing tagged cloud resources');
          const wanted = flags.instance ? new Set(flags.instance) : undefined;
          const found = (await service.sweepScan()).filter(
            (c) => !wanted || wanted.has(c.instanceId),
          );
          progress.done();
          if (!flags.delete) {
            if (flags.json) return printJson(io, found);
            return void io.stdout.write(
              describe(found) + (found.length ? 'delete them with: kgd sweep --delete\n' : ''),
            );
          }
          if (found.length === 0) {
            if (flags.json) return printJson(io, []);
            return void io.stdout.write(describe(found));
          }
          if (!flags.json) io.stdout.write(describe(found));
          const total = found.reduce((n, c) => n + resourceCount(c), 0);
          if (
            !flags.yes &&
            !(await confirm(
              io,
              `Type yes to delete ${total} resource(s) of ${found.length} deployment(s): `,
            ))
          )
            throw new CliError('nothing deleted', operatorExitCodes.failure);
          const results = await service.sweepDelete({
            reason: flags.reason,
            actor: ctx.actor,
            instanceIds: found.map((c) => c.instanceId),
          });
          progress.done();
          if (flags.json) printJson(io, results);
          else
            for (const r of results)
              io.stdout.write(
                `${r.instanceId || '(untagged)'}: ${r.error ? `FAILED: ${r.error}` : `${r.deleted} deleted`}\n`,
              );
          const failed = results.filter((r) => r.error);
          if (failed.length)
            throw new CliError(
              `${failed.length} deletion(s) failed; run kgd sweep --delete again`,
              operatorExitCodes.failure,
            );
        });
      },
    );
}
