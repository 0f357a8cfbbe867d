import type { Command } from 'commander';
import { CliError, type CliIo, exitCodes } from '../../platform/cli-io.js';
import { control, simUrl } from './cli-client.js';
import { collect, intArg, withTarget } from './cli-options.js';

/** `kgd marketplace config`: shows or changes the simulator's settings and knobs. */

function productProtocols(pairs: string[]) {
  const out: Record<string, { protocol: string; v2Body?: string }> = {};
  for (const p of pairs) {
    const m = /^([^=]+)=(v1|v2|v2-inline)$/.exec(p);
    if (!m)
      throw new CliError(`--product ${p}: expected <productId>=v1|v2|v2-inline`, exitCodes.usage);
    out[m[1]!] = m[2] === 'v2-inline' ? { protocol: 'v2', v2Body: 'inline' } : { protocol: m[2]! };
  }
  return out;
}

function retryPolicies(pairs: string[]) {
  const out: Record<string, { intervalMs: number; windowMs: number }> = {};
  for (const p of pairs) {
    const m = /^(purchase|renewal|release|status)=(\d+)\/(\d+)$/.exec(p);
    if (!m) {
      throw new CliError(
        `--retry ${p}: expected purchase|renewal|release|status=<intervalMs>/<windowMs>`,
        exitCodes.usage,
      );
    }
    out[m[1]!] = { intervalMs: Number(m[2]), windowMs: Number(m[3]) };
  }
  return out;
}

const prune = (o: Record<string, unknown>): Record<string, unknown> | undefined => {
  const entries = Object.entries(o).filter(([, v]) => v !== undefined);
  return entries.length ? Object.fromEntries(entries) : undefined;
};

export function registerMarketplaceConfigCommand(mp: Command, io: CliIo): void {
  withTarget(mp.command('config').description('show or change the simulated marketplace settings'))
    .option('--url <productionUrl>', "the seller's production URL")
    .option('--key <key>', 'the shared Key / accessKey')
    .option('--protocol <v1|v2>', 'protocol of products not listed with --product')
    .option('--product <id=proto>', 'protocol of one product: v1, v2 or v2-inline', collect, [])
    .option('--seller-ak <ak>', 'seller AK allowed on the order query API')
    .option('--seller-sk <sk>', 'its SK')
    .option('--encrypt-type <1|2>', 'cipher of V1 mobilePhone/email', intArg)
    .option('--test-flag <0|1>', 'default testFlag')
    .option('--mock-product <productId:sku>', 'product of the MOCK debug orders')
    .option('--resends <n>', 'resends after an accepted answer', intArg)
    .option('--duplicates <n>', 'concurrent copies of each attempt', intArg)
    .option('--skew <ms>', 'clock skew of signatures', intArg)
    .option('--timeout <ms>', 'answer deadline', intArg)
    .option('--time-scale <x>', 'waits pass this much faster than real time', Number)
    .option('--poll-interval <ms>', 'V2 queryInstance interval', intArg)
    .option('--poll-deadline <ms>', 'V2 polling deadline', intArg)
    .option(
      '--retry <kind=interval/window>',
      'retry cadence, e.g. purchase=3600000/10800000',
      collect,
      [],
    )
    .action(async (f) => {
      if (Boolean(f.sellerAk) !== Boolean(f.sellerSk)) {
        throw new CliError('--seller-ak and --seller-sk go together', exitCodes.usage);
      }
      let mockProduct: { productId: string; skuCode: string } | undefined;
      if (f.mockProduct) {
        const [productId, skuCode] = String(f.mockProduct).split(':');
        if (!productId || !skuCode)
          throw new CliError('--mock-product: expected <productId>:<sku>', exitCodes.usage);
        mockProduct = { productId, skuCode };
      }
      const patch = prune({
        productionUrl: f.url,
        key: f.key,
        defaultProtocol: f.protocol,
        products: f.product.length ? productProtocols(f.product) : undefined,
        sellerCredentials: f.sellerAk ? [{ ak: f.sellerAk, sk: f.sellerSk }] : undefined,
        requestEncryptType: f.encryptType,
        testFlag: f.testFlag,
        mockProduct,
        knobs: prune({
          resends: f.resends,
          duplicates: f.duplicates,
          skewMs: f.skew,
          timeoutMs: f.timeout,
          timeScale: f.timeScale,
          poll: prune({ intervalMs: f.pollInterval, deadlineMs: f.pollDeadline }),
          retry: f.retry.length ? retryPolicies(f.retry) : undefined,
        }),
      });
      const base = simUrl(f, io);
      const config = patch
        ? await control<Record<string, unknown>>(base, 'PATCH', '/config', patch)
        : await control<Record<string, unknown>>(base, 'GET', '/config');
      io.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
    });
}
