import type { Command } from 'commander';
import { ActionError } from '../../platform/errors.js';
import { createToken, listTokens, revokeToken } from '../auth/tokens.js';
import { recordAudit } from '../queries/audit.js';
import { type OperatorIo, withOperator } from './operator-context.js';
import { printJson, table, when } from './output.js';

const units: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90d`, `12h`, `30m` → milliseconds; anything else is a usage error naming the flag. */
function durationMs(text: string): number {
  const m = /^(\d{1,6})([mhd])$/.exec(text.trim());
  if (!m || Number(m[1]) === 0)
    throw new ActionError(
      'INVALID_REQUEST',
      `--expires-in: expected a duration such as 90d, 12h or 30m, got ${text}`,
    );
  return Number(m[1]) * units[m[2]!]!;
}

/**
 * `kgd tokens create | list | revoke`: bearer tokens for the admin API and the dashboard.
 * A token is printed once, at creation; only its hash is stored.
 */
export function registerTokensCommand(program: Command, io: OperatorIo): void {
  const tokens = program
    .command('tokens')
    .description('bearer tokens for the admin API and the dashboard (scope read or operate)');

  tokens
    .command('create')
    .description('create a token and print it (once: only its hash is kept)')
    .requiredOption('--name <name>', 'who or what uses it, e.g. ops-alice or grafana')
    .requiredOption('--scope <scope>', 'read (look) or operate (look and act)')
    .option(
      '--expires-in <duration>',
      'refused after this long, e.g. 90d, 12h, 30m (default: never)',
    )
    .option('--json', 'print JSON')
    .action(async (flags: { name: string; scope: string; expiresIn?: string; json?: boolean }) => {
      await withOperator(io, async (ctx) => {
        const ttl = flags.expiresIn === undefined ? undefined : durationMs(flags.expiresIn);
        const created = await createToken(ctx.db, ctx.clock, {
          name: flags.name,
          scope: flags.scope,
          createdBy: ctx.actor,
          expiresAt: ttl === undefined ? undefined : new Date(ctx.clock.now().getTime() + ttl),
        });
        await recordAudit(ctx.db, {
          at: ctx.clock.now(),
          actor: ctx.actor,
          action: 'token.create',
          target: `token:${created.name}`,
          reason: `scope ${created.scope}${created.expiresAt ? `, expires ${created.expiresAt}` : ''}`,
          after: {
            id: created.id,
            name: created.name,
            scope: created.scope,
            expiresAt: created.expiresAt,
          },
          result: 'ok',
        });
        if (flags.json) return printJson(io, created);
        io.stdout.write(
          `${created.token}\n` +
            (io.stdout.isTTY
              ? `token ${created.name} (${created.scope}) created: store it now, it is not shown again\n`
              : ''),
        );
      });
    });

  tokens
    .command('list')
    .alias('ls')
    .description('tokens (never their secret)')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      await withOperator(io, async (ctx) => {
        const rows = await listTokens(ctx.db);
        if (flags.json) return printJson(io, rows);
        if (rows.length === 0)
          return void io.stdout.write(
            'no tokens: kgd tokens create --name <name> --scope read|operate\n',
          );
        io.stdout.write(
          table(
            ['NAME', 'SCOPE', 'CREATED', 'BY', 'LAST USED', 'EXPIRES', 'REVOKED'],
            rows.map((t) => [
              t.name,
              t.scope,
              when(t.createdAt),
              t.createdBy,
              when(t.lastUsedAt),
              when(t.expiresAt),
              when(t.revokedAt),
            ]),
          ),
        );
      });
    });

  tokens
    .command('revoke <name>')
    .description('revoke a token at once (by name or id)')
    .option('--reason <text>', 'why (kept in the audit log)', 'revoked')
    .option('--json', 'print JSON')
    .action(async (name: string, flags: { reason: string; json?: boolean }) => {
      await withOperator(io, async (ctx) => {
        const t = await revokeToken(ctx.db, ctx.clock, name);
        await recordAudit(ctx.db, {
          at: ctx.clock.now(),
          actor: ctx.actor,
          action: 'token.revoke',
          target: `token:${t.name}`,
          reason: flags.reason,
          before: { id: t.id, name: t.name, scope: t.scope },
          result: 'ok',
        });
        if (flags.json) return printJson(io, { ...t, revoked: true });
        io.stdout.write(`token ${t.name} revoked (and its dashboard sessions)\n`);
      });
    });
}
