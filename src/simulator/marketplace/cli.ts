import type { Command } from 'commander';
import { CliError, type CliIo, exitCodes } from '../../platform/cli-io.js';
import { registerBuyerCommands } from './cli-buyer.js';
import { control, type SimTarget, simUrl } from './cli-client.js';
import { registerMarketplaceConfigCommand } from './cli-config.js';
import { formatInstance, formatLedger, formatStarted } from './cli-format.js';
import { collect, intArg, withTarget } from './cli-options.js';
import type { LedgerEntry, Violation } from './ledger.js';
import type { instanceView, startedView } from './views.js';

/**
 * `kgd marketplace ...`: drives the simulated KooGallery through its control API, e.g.
 * `kgd marketplace buy --product OFFI01 --sku small --wait done`, then
 * `kgd marketplace renew|expire|unfreeze|upgrade|release --instance <id>`.
 */

type Started = ReturnType<typeof startedView>;

interface CallFlags extends SimTarget {
  wait?: string;
  waitTimeout?: number;
  duplicates?: number;
  resends?: number;
  skew?: number;
  retry?: boolean;
  test?: boolean;
  showPassword?: boolean;
}

function withCall(cmd: Command, defaultWait = 'sent'): Command {
  return withTarget(cmd)
    .option('--wait <milestone>', 'none | sent (first attempt) | answered | done', defaultWait)
    .option('--wait-timeout <ms>', 'longest wait for that milestone', intArg)
    .option('--duplicates <n>', 'concurrent copies of each attempt', intArg)
    .option('--resends <n>', 'resends after an accepted answer', intArg)
    .option('--skew <ms>', "sign with the marketplace's clock this far off", intArg)
    .option('--no-retry', 'one attempt, no resend on failure')
    .option('--test', 'testFlag=1 (a debug call from the seller console)')
    .option('--show-password', 'show the decrypted password in the summary');
}

function callBody(f: CallFlags): Record<string, unknown> {
  return {
    wait: f.wait,
    waitTimeoutMs: f.waitTimeout,
    duplicates: f.duplicates,
    resends: f.resends,
    skewMs: f.skew,
    noRetry: f.retry === false ? true : undefined,
    testFlag: f.test ? '1' : undefined,
  };
}

function print(io: CliIo, f: CallFlags, started: Started): void {
  io.stdout.write(
    f.json ? `${JSON.stringify(started, null, 2)}\n` : formatStarted(started, f.showPassword),
  );
  const { status, kind, id, message } = started.operation;
  if (status === 'failed' || status === 'cancelled') {
    throw new CliError(
      `${kind} ${id} ${status}${message ? `: ${message}` : ''}`,
      exitCodes.failure,
    );
  }
}

function parseExtend(pairs: string[]): Array<{ name: string; value: string }> {
  return pairs.map((p) => {
    const i = p.indexOf('=');
    if (i <= 0) throw new CliError(`--extend ${p}: expected name=value`, exitCodes.usage);
    return { name: p.slice(0, i), value: p.slice(i + 1) };
  });
}

/**
 * Registers `kgd marketplace` and its subcommands on the `kgd` program.
 *
 * @example
 *   const registrations = [registerServeCommand, registerMarketplaceCommand];
 */
export function registerMarketplaceCommand(program: Command, io: CliIo): void {
  const mp = program
    .command('marketplace')
    .description('drive the simulated KooGallery marketplace (buy, renew, expire, release, ...)');

  const post = async (f: CallFlags, path: string, body: Record<string, unknown>) => {
    // The simulator answers once the milestone passed or its wait timeout (default 60 s) ran out.
    const httpTimeout = (f.waitTimeout ?? 60_000) + 30_000;
    const answer = await control<Started>(
      simUrl(f, io),
      'POST',
      path,
      { ...callBody(f), ...body },
      httpTimeout,
    );
    print(io, f, answer);
  };
  const instancePath = (id: string | undefined, action: string) => {
    if (!id) throw new CliError('--instance <id> is required', exitCodes.usage);
    return `/instances/${encodeURIComponent(id)}/${action}`;
  };

  registerBuyerCommands(mp, io);
  withCall(mp.command('buy').description('new purchase: newInstance (V1 or V2 per product)'))
    .option('--product <id>', 'productId')
    .option('--sku <code>', 'skuCode')
    .option('--period <type>', 'year | month | day | hour')
    .option('--periods <n>', 'number of periods', intArg)
    .option('--charging <mode>', 'PERIOD | ONE_TIME | ON_DEMAND | ON_DEMAND_PKG')
    .option('--trial', 'a trial order')
    .option('--linear <n>', 'linear attribute value (amount)', intArg)
    .option('--extend <name=value>', 'buyer-entered extension parameter (up to 3)', collect, [])
    .option('--protocol <v1|v2>', 'override the product protocol')
    .option('--inline', 'V2: the older inline body (buyerInfo/orderInfo)')
    .option('--mock <orderId>', 'replay a MOCK debug order (MOCKPERIODYEARNEW, ...)')
    .action(async (f) => {
      if (!f.mock && (!f.product || !f.sku)) {
        throw new CliError(
          '--product <id> and --sku <code> are required (or --mock <orderId>)',
          exitCodes.usage,
        );
      }
      await post(f, '/orders', {
        mockOrderId: f.mock,
        productId: f.product,
        skuCode: f.sku,
        periodType: f.period,
        periodNumber: f.periods,
        chargingMode: f.charging,
        trial: f.trial,
        linearValue: f.linear,
        extendParams: f.extend.length ? parseExtend(f.extend) : undefined,
        protocol: f.protocol,
        v2Body: f.inline ? 'inline' : undefined,
      });
    });

  withCall(mp.command('renew').description('renewal: refreshInstance'))
    .option('--instance <id>', 'instanceId')
    .option('--period <type>', 'year | month | day | hour')
    .option('--periods <n>', 'number of periods', intArg)
    .option('--trial-to-formal', 'turn a trial into a paid order')
    .action(async (f) =>
      post(f, instancePath(f.instance, 'renew'), {
        periodType: f.period,
        periodNumber: f.periods,
        trialToFormal: f.trialToFormal,
      }),
    );

  for (const [name, description] of [
    ['expire', 'the period ended: expireInstance (V1) / freeze (V2)'],
    ['freeze', 'instanceStatus FREEZE (V1) / updateInstanceStatus FREEZE (V2)'],
    ['unfreeze', 'instanceStatus NORMAL (V1) / updateInstanceStatus UNFREEZE (V2)'],
  ] as const) {
    withCall(mp.command(name).description(description))
      .option('--instance <id>', 'instanceId')
      .action(async (f) => post(f, instancePath(f.instance, name), {}));
  }

  withCall(mp.command('release').description('releaseInstance'))
    .option('--instance <id>', 'instanceId')
    .option('--unsubscribe', 'the buyer unsubscribed (creates an UNSUBSCRIBE order)')
    .action(async (f) =>
      post(f, instancePath(f.instance, 'release'), { unsubscribe: f.unsubscribe }),
    );

  withCall(mp.command('upgrade').description('spec change: upgrade (V1) / upgradeInstance (V2)'))
    .option('--instance <id>', 'instanceId')
    .option('--sku <code>', 'the new skuCode')
    .option('--product <id>', 'the new productId (default: unchanged)')
    .option('--linear <n>', 'the new linear attribute value', intArg)
    .action(async (f) => {
      if (!f.sku) throw new CliError('--sku <code> is required', exitCodes.usage);
      await post(f, instancePath(f.instance, 'upgrade'), {
        skuCode: f.sku,
        productId: f.product,
        linearValue: f.linear,
      });
    });

  withCall(mp.command('query').description('V2 queryInstance (one or more instances)'), 'done')
    .option('--instance <id>', 'instanceId (repeatable)', collect, [])
    .action(async (f) => {
      const [first, ...also] = f.instance as string[];
      await post(f, instancePath(first, 'query'), { also });
    });

  withCall(mp.command('license').description('V1 getLicense for a License product'))
    .option('--product <id>', 'productId')
    .option('--sku <code>', 'skuCode')
    .option('--machine-code <code>', 'the buyer machine code (sent in saasExtendParams)')
    .action(async (f) => {
      if (!f.product || !f.sku)
        throw new CliError('--product and --sku are required', exitCodes.usage);
      await post(f, '/license', {
        productId: f.product,
        skuCode: f.sku,
        extendParams: f.machineCode ? [{ name: 'machineCode', value: f.machineCode }] : undefined,
      });
    });

  withCall(mp.command('notify').description('V2 orderNotify for an order'))
    .option('--order <id>', 'orderId')
    .action(async (f) => {
      if (!f.order) throw new CliError('--order <id> is required', exitCodes.usage);
      await post(f, `/orders/${encodeURIComponent(f.order)}/notify`, {});
    });

  withTarget(mp.command('instances').description('what the marketplace knows of each instance'))
    .option('--show-password', 'show decrypted passwords')
    .action(async (f) => {
      const { instances } = await control<{ instances: Array<ReturnType<typeof instanceView>> }>(
        simUrl(f, io),
        'GET',
        '/instances',
      );
      if (f.json) io.stdout.write(`${JSON.stringify(instances, null, 2)}\n`);
      else
        io.stdout.write(
          instances.map((i) => `${formatInstance(i, f.showPassword)}\n`).join('') || '(none)\n',
        );
    });

  withTarget(mp.command('ledger').description('every call sent and answer received'))
    .option('--since <seq>', 'only entries after this sequence number', intArg)
    .option('--accepted', 'only the calls the marketplace believes answered')
    .action(async (f) => {
      const query = new URLSearchParams();
      if (f.since !== undefined) query.set('since', String(f.since));
      if (f.accepted) query.set('accepted', 'true');
      const answer = await control<{ entries: LedgerEntry[]; violations: Violation[] }>(
        simUrl(f, io),
        'GET',
        `/ledger?${query}`,
      );
      io.stdout.write(
        f.json
          ? `${JSON.stringify(answer, null, 2)}\n`
          : formatLedger(answer.entries, answer.violations),
      );
    });

  registerMarketplaceConfigCommand(mp, io);
}
