import type { Command } from 'commander';
import { recordCodeState } from '../../deployments/commands/record-code-state.js';
import type { CodeState, LicenseCodeApi } from '../../deployments/ports.js';
import { CliError, exitCodes } from '../../platform/cli-io.js';
import type { LicenseCode } from '../../platform/db/schema.js';
import { type OperatorContext, type OperatorIo, withOperator } from './operator-context.js';
import { printJson, table, when } from './output.js';

/**
 * `kgd license codes list | show <code> | activate <code> | query <code>`: license codes 2.0
 * (spec §8) as this service knows them — status, expiry, bound deployment, every renewal, freeze
 * and release the marketplace sent — and as the marketplace's query API answers them. `activate`
 * and `query` call the marketplace with the seller's AK/SK and record the answer, which is how the
 * service learns a code (the marketplace's events for a code it never saw are answered 000003).
 *
 * @example
 *   kgd license codes activate LC0123 --instance 01JD...   # bind it to a deployment
 *   kgd license codes show LC0123 --json
 */
export function registerLicenseCodesCommand(program: Command, io: OperatorIo): void {
  const license =
    program.commands.find((c) => c.name() === 'license') ??
    program.command('license').description('licenses and license codes');
  const codes = license
    .command('codes')
    .description('license codes 2.0: the service’s book of codes and the marketplace’s answers');

  codes
    .command('list')
    .alias('ls')
    .description('codes this service knows, newest first')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      await withOperator(io, async (ctx) => {
        const rows = await ctx.db
          .selectFrom('license_codes')
          .selectAll()
          .orderBy('created_at', 'desc')
          .limit(500)
          .execute();
        if (flags.json) return printJson(io, rows.map(view));
        if (rows.length === 0) return void io.stdout.write('no license codes\n');
        io.stdout.write(
          table(
            ['CODE', 'STATE', 'MARKETPLACE', 'EXPIRES', 'ORDER', 'DEPLOYMENT'],
            rows.map((r) => {
              const v = view(r);
              return [
                v.code,
                v.state,
                v.marketplaceStatus,
                when(v.expiresAt),
                v.orderId,
                v.instanceId,
              ];
            }),
          ),
        );
      });
    });

  codes
    .command('show <code>')
    .description('one code: the service’s view, its events, and what the marketplace answers now')
    .option('--local', 'do not ask the marketplace')
    .option('--json', 'print JSON')
    .action(async (code: string, flags: { json?: boolean; local?: boolean }) => {
      await withOperator(io, async (ctx) => {
        const row = await ctx.db
          .selectFrom('license_codes')
          .selectAll()
          .where('code', '=', code)
          .executeTakeFirst();
        const events = await ctx.db
          .selectFrom('license_code_events')
          .select(['at', 'activity', 'effect', 'operation_id', 'params'])
          .where('code', '=', code)
          .orderBy('id')
          .execute();
        let marketplace: CodeState | { error: string } | undefined;
        if (!flags.local) {
          const api = await io.host.openLicenseCodes(ctx.runtime);
          marketplace = api
            ? await api.query(code).catch((err: Error) => ({ error: err.message }))
            : { error: 'not asked: set KGD_CLOUD_AK / KGD_CLOUD_SK (the seller account)' };
        }
        if (!row && !marketplace) throw new CliError(`no license code ${code}`, exitCodes.notFound);
        const out = { service: row ? view(row) : null, events, marketplace };
        if (flags.json) return printJson(io, out);
        io.stdout.write(describe(code, out));
      });
    });

  codes
    .command('activate <code>')
    .description('activate a code with the marketplace (v1 activate) and record it')
    .option('--instance <id>', 'bind the code to this deployment (default: the one of its order)')
    .option('--effective-time <yyyyMMddHHmmss>', 'real_effect_time, UTC (default: now)')
    .option('--json', 'print JSON')
    .action(
      async (
        code: string,
        flags: { instance?: string; effectiveTime?: string; json?: boolean },
      ) => {
        await withOperator(io, async (ctx) => {
          const api = await codesApi(io, ctx);
          const effect = flags.effectiveTime ? compactUtc(flags.effectiveTime) : undefined;
          const r = await api.activate(code, effect);
          // Already active (92020003): the query API says what it is.
          const state = r.kind === 'activated' ? r.state : await api.query(code);
          const row = await recordCodeState(
            ctx.db,
            { state, activated: r.kind === 'activated', instanceId: flags.instance },
            ctx.clock.now(),
          );
          const out = { result: r.kind, service: view(row) };
          if (flags.json) return printJson(io, out);
          io.stdout.write(
            `${r.kind === 'activated' ? 'activated' : 'already active'}: ${line(view(row))}\n`,
          );
        });
      },
    );

  codes
    .command('query <code>')
    .description('ask the marketplace for the code’s state (query / heartbeat) and record it')
    .option('--instance <id>', 'bind the code to this deployment')
    .option('--json', 'print JSON')
    .action(async (code: string, flags: { instance?: string; json?: boolean }) => {
      await withOperator(io, async (ctx) => {
        const state = await (await codesApi(io, ctx)).query(code);
        const row = await recordCodeState(
          ctx.db,
          { state, activated: false, instanceId: flags.instance },
          ctx.clock.now(),
        );
        if (flags.json) return printJson(io, { marketplace: state, service: view(row) });
        io.stdout.write(`${state.status ?? 'unknown'}: ${line(view(row))}\n`);
      });
    });
}

async function codesApi(io: OperatorIo, ctx: OperatorContext): Promise<LicenseCodeApi> {
  const api = await io.host.openLicenseCodes(ctx.runtime);
  if (!api)
    throw new CliError(
      'license codes need the seller account: set KGD_CLOUD_AK and KGD_CLOUD_SK (and KGD_MARKETPLACE_API_URL for a `kgd simulator`)',
      exitCodes.config,
    );
  return api;
}

function compactUtc(v: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(v);
  const at = m ? new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`) : undefined;
  if (!at || Number.isNaN(at.getTime()))
    throw new CliError('--effective-time: expected yyyyMMddHHmmss (UTC)', exitCodes.usage);
  return at;
}

const iso = (d: Date | string | null) => (d ? new Date(d).toISOString() : null);

/** The service's view of a code: released, frozen, or active (what it acts on). */
function view(r: LicenseCode) {
  return {
    code: r.code,
    state: r.released_at ? 'released' : r.frozen ? 'frozen' : 'active',
    marketplaceStatus: r.marketplace_status,
    expiresAt: iso(r.expires_at),
    activatedAt: iso(r.activated_at),
    productId: r.product_id,
    orderId: r.order_id,
    instanceId: r.instance_id,
    updatedAt: iso(r.updated_at),
  };
}

const line = (v: ReturnType<typeof view>) =>
  `${v.code} ${v.state}, expires ${v.expiresAt ?? '-'}, order ${v.orderId ?? '-'}, deployment ${v.instanceId ?? '-'}`;

function describe(
  code: string,
  out: {
    service: ReturnType<typeof view> | null;
    events: Array<{ at: Date; activity: string; effect: string }>;
    marketplace?: CodeState | { error: string } | undefined;
  },
): string {
  const lines = [`license code ${code}`];
  lines.push(out.service ? `  service:     ${line(out.service)}` : '  service:     not known');
  for (const e of out.events)
    lines.push(`    ${new Date(e.at).toISOString()} ${e.activity}: ${e.effect}`);
  if (out.marketplace)
    lines.push(
      'error' in out.marketplace
        ? `  marketplace: ${out.marketplace.error}`
        : `  marketplace: ${out.marketplace.status ?? '-'}, expires ${iso(out.marketplace.expireTime) ?? '-'}, activated ${iso(out.marketplace.activateTime) ?? '-'}`,
    );
  return `${lines.join('\n')}\n`;
}
