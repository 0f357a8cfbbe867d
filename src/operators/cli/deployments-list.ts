import type { Command } from 'commander';
import { instanceStatuses } from '../model.js';
import { listDeployments } from '../queries/deployments.js';
import { type OperatorIo, withOperator } from './operator-context.js';
import { printJson, table, when } from './output.js';

interface ListFlags {
  status?: string;
  product?: string;
  customer?: string;
  since?: string;
  limit?: string;
  json?: boolean;
}

export function registerDeploymentsList(group: Command, io: OperatorIo): void {
  group
    .command('list')
    .alias('ls')
    .description('deployments, newest first, with counts by status')
    .option('--status <status>', `one or more of ${instanceStatuses.join(', ')} (comma-separated)`)
    .option('--product <name>', 'product template name or marketplace productId')
    .option('--customer <id|name>', "customer id, or part of the customer's name")
    .option('--since <when>', 'created since an ISO date/time or a duration (24h, 7d)')
    .option('--limit <n>', 'at most this many rows (1-500)', '50')
    .option('--json', 'print JSON')
    .action(async (flags: ListFlags) => {
      await withOperator(io, async (ctx) => {
        const list = await listDeployments(ctx.db, flags, ctx.clock.now());
        if (flags.json) return printJson(io, list);
        const counts = instanceStatuses
          .filter((s) => list.counts[s])
          .map((s) => `${s} ${list.counts[s]}`)
          .join(', ');
        io.stdout.write(`${list.total} deployment(s)${counts ? `: ${counts}` : ''}\n`);
        if (list.items.length === 0) return;
        io.stdout.write(
          table(
            ['ID', 'STATUS', 'PRODUCT', 'SKU', 'CUSTOMER', 'CREATED', 'LAST OPERATION', 'DETAIL'],
            list.items.map((d) => [
              d.id,
              d.status,
              d.product,
              d.sku,
              d.customerName ?? d.customerId,
              when(d.createdAt),
              d.latestOperation
                ? `${d.latestOperation.kind} ${d.latestOperation.status}${d.latestOperation.failedStep ? ` at ${d.latestOperation.failedStep}` : ''}`
                : null,
              d.statusDetail,
            ]),
          ),
        );
        if (list.items.length < list.total && !flags.status)
          io.stdout.write(`(showing ${list.items.length}; use --limit or filters for more)\n`);
      });
    });
}
