import type { Command } from 'commander';
import { ActionError } from '../../platform/errors.js';
import { inboxDetail, listInbox } from '../queries/inbox.js';
import { type OperatorIo, withOperator } from './operator-context.js';
import { printJson, table, when } from './output.js';

/**
 * `kgd inbox list | show <id> | replay <id>`: the marketplace calls received, with the answers
 * given; `replay` sends one again through the running service's gateway, re-signed.
 */
export function registerInboxCommand(program: Command, io: OperatorIo): void {
  const inbox = program
    .command('inbox')
    .description(
      'marketplace calls received and the answers given; replay one through the gateway',
    );

  inbox
    .command('list')
    .alias('ls')
    .description('calls, newest first')
    .option('--activity <name>', 'newInstance, refreshInstance, releaseInstance, ...')
    .option('--instance <id>', 'calls about this instance')
    .option('--result <code>', 'a result code (000000), or "failed" for every other code')
    .option('--since <when>', 'received since an ISO date/time or a duration (24h, 7d)')
    .option('--limit <n>', 'at most this many rows (1-500)', '50')
    .option('--json', 'print JSON')
    .action(async (flags: Record<string, string | boolean | undefined>) => {
      await withOperator(io, async (ctx) => {
        const rows = await listInbox(ctx.db, flags as Record<string, string>, ctx.clock.now());
        if (flags.json) return printJson(io, rows);
        if (rows.length === 0) return void io.stdout.write('no calls\n');
        io.stdout.write(
          table(
            ['ID', 'RECEIVED', 'PROTO', 'ACTIVITY', 'RESULT', 'INSTANCE', 'MS', 'NOTE'],
            rows.map((r) => [
              r.id,
              when(r.receivedAt),
              r.protocol,
              r.activity,
              r.resultCode,
              r.instanceId,
              r.durationMs,
              [r.duplicate && 'duplicate', r.test && 'test', r.answeredLate && 'answered late']
                .filter(Boolean)
                .join(', '),
            ]),
          ),
        );
      });
    });

  inbox
    .command('show <id>')
    .description('one call: what was understood and the answer given')
    .option('--json', 'print JSON')
    .action(async (id: string, flags: { json?: boolean }) => {
      await withOperator(io, async (ctx) => {
        const d = await inboxDetail(ctx.db, id);
        if (flags.json) return printJson(io, d);
        io.stdout.write(
          `Inbox ${d.id}: ${d.protocol} ${d.method} ${d.activity ?? '(no activity)'} at ${when(d.receivedAt)}\n` +
            `  answered ${d.resultCode} in ${d.durationMs} ms${d.duplicate ? ' (duplicate)' : ''}${d.answeredLate ? ' (late)' : ''}\n` +
            `  instance ${d.instanceId ?? '-'}  operation ${d.operationId ?? '-'}  key ${d.idempotencyKey ?? '-'}\n` +
            `\nCall (secrets sealed):\n${JSON.stringify(d.parsed, null, 2)}\n` +
            `\nAnswer:\n${JSON.stringify(d.answer, null, 2)}\n`,
        );
      });
    });

  inbox
    .command('replay <id>')
    .description('send the call again through the gateway (fresh timestamp and nonce, re-signed)')
    .requiredOption('--reason <text>', 'why (required: kept in the audit log)')
    .option(
      '--url <url>',
      'production URL of the running service (default: KGD_HOST/KGD_PORT + KGD_PRODUCE_PATH)',
    )
    .option('--json', 'print JSON')
    .action(async (id: string, flags: { reason: string; url?: string; json?: boolean }) => {
      await withOperator(io, async (ctx) => {
        const { config } = ctx.runtime;
        const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
        const produceUrl = flags.url ?? `http://${host}:${config.port}${config.producePath}`;
        const service = await ctx.service({
          replay: {
            secretBox: ctx.runtime.secretBox,
            keys: ctx.runtime.marketplaceKeys,
            produceUrl,
            send: async (req) => {
              try {
                return await fetch(req, { signal: AbortSignal.timeout(15_000) });
              } catch (err) {
                const cause = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
                throw new ActionError(
                  'UNAVAILABLE',
                  `cannot reach the gateway at ${produceUrl} (${cause}): is kgd serve running? (--url)`,
                );
              }
            },
          },
        });
        const r = await service.replayInbox(id, { reason: flags.reason, actor: ctx.actor });
        if (flags.json) return printJson(io, r);
        io.stdout.write(
          `replayed inbox ${r.inboxId} (${r.activity ?? '-'}) to ${produceUrl}\n` +
            `  stored answer:  ${r.stored.resultCode}  ${JSON.stringify(r.stored.answer)}\n` +
            `  new answer:     ${r.replayed.resultCode}  ${JSON.stringify(r.replayed.answer)}\n`,
        );
      });
    });
}
