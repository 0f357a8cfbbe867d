import type { Command } from 'commander';
import { readLogs } from '../queries/logs.js';
import { formatLogLine } from './deployments-show.js';
import { type OperatorIo, withOperator } from './operator-context.js';

export function registerDeploymentsLogs(group: Command, io: OperatorIo): void {
  group
    .command('logs <id>')
    .description("a deployment's log: step messages and hook output (all its operations, or one)")
    .option('-f, --follow', 'keep printing new lines until no operation is pending or running')
    .option('--after <lineId>', 'only lines after this line id', '0')
    .option('--json', 'one JSON object per line (JSON Lines)')
    .action(async (id: string, flags: { follow?: boolean; after: string; json?: boolean }) => {
      await withOperator(io, async (ctx) => {
        let after = flags.after;
        let closing = false;
        for (;;) {
          const page = await readLogs(ctx.db, id, { after, limit: 1000 });
          for (const l of page.lines)
            io.stdout.write(flags.json ? `${JSON.stringify(l)}\n` : formatLogLine(l));
          after = page.next;
          if (page.lines.length === 1000) continue;
          if (!flags.follow || closing) return;
          // An operation's last line is written just after its status: read once more after it ends.
          if (!page.open) closing = true;
          // Polling the database keeps `logs -f` working beside any number of replicas.
          await ctx.clock.sleep(500);
        }
      });
    });
}
