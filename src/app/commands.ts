import type { Command } from 'commander';
import { CliError, type CliIo } from '../platform/cli-io.js';

/**
 * `kgd serve` and `kgd demo`, registered without loading the service: their modules (the cloud
 * SDKs, DBOS, the HTTP surface) load when the command runs, so `kgd --help` and every other
 * command start fast.
 */
export function registerServeCommand(program: Command, io: CliIo): void {
  program
    .command('serve')
    .description('start the service: marketplace endpoint, deployment engine, operator API')
    .action(async () => (await import('./serve.js')).runServe(io));
}

export function registerDemoCommand(program: Command, io: CliIo): void {
  program
    .command('demo')
    .description(
      'buy, deploy, renew, expire, unfreeze, upgrade and release demo-license on the built-in simulator',
    )
    .option('--protocol <v1|v2>', 'marketplace protocol generation of the purchase', 'v2')
    .option(
      '--time-scale <factor>',
      'simulated cloud durations (1 realistic; default 0.1 or KGD_SIM_TIME_SCALE)',
    )
    .action(async (opts: { protocol: string; timeScale?: string }) => {
      if (opts.protocol !== 'v1' && opts.protocol !== 'v2')
        throw new CliError('--protocol: expected v1 or v2', 2);
      await (await import('./demo.js')).runDemo(io, opts.protocol, opts.timeScale);
    });
}
