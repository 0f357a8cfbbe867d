import { Command, CommanderError } from 'commander';
import { registerAlertsCommand } from '../alerts/cli.js';
import { regionGaps } from '../cloud/regions.js';
import { registerLicenseCommand } from '../licenses/cli.js';
import { registerAuditCommand } from '../operators/cli/cmd-audit.js';
import { registerConfigCommand } from '../operators/cli/cmd-config.js';
import { registerDeploymentsCommand } from '../operators/cli/cmd-deployments.js';
import { registerInboxCommand } from '../operators/cli/cmd-inbox.js';
import { registerKeysCommand } from '../operators/cli/cmd-keys.js';
import { registerLicenseCodesCommand } from '../operators/cli/cmd-license-codes.js';
import { registerLicenseEventsCommand } from '../operators/cli/cmd-license-events.js';
import { registerSweepCommand } from '../operators/cli/cmd-sweep.js';
import { registerTokensCommand } from '../operators/cli/cmd-tokens.js';
import { CliError, type CliIo, exitCodes } from '../platform/cli-io.js';
import { ConfigError } from '../platform/config.js';
import { SetupError } from '../platform/errors.js';
import { packageVersion } from '../platform/package-info.js';
import { loadProductCatalog, TemplateError } from '../products/catalog.js';
import { registerTemplatesCommand } from '../products/cli.js';
import { registerSimulatorCommand } from '../simulator/cli.js';
import { registerMarketplaceCommand } from '../simulator/marketplace/cli.js';
import { alertsHost } from './alerts-host.js';
import { registerDemoCommand, registerServeCommand } from './commands.js';
import { operatorHost } from './operator-host.js';
import { productImages } from './product-images.js';

export type { CliIo } from '../platform/cli-io.js';

/**
 * Every subcommand registers itself here, one file per subcommand under its feature; each gets
 * what it opens (runtime, workflow store, cloud) from the composition root.
 */
const registrations: Array<(program: Command, io: CliIo) => void> = [
  registerServeCommand,
  registerDemoCommand,
  registerMarketplaceCommand,
  (p, io) =>
    registerSimulatorCommand(p, io, {
      productImages: (dir) => productImages(loadProductCatalog(dir)),
    }),
  (p, io) => registerDeploymentsCommand(p, { ...io, host: operatorHost }),
  (p, io) => registerInboxCommand(p, { ...io, host: operatorHost }),
  (p, io) => registerSweepCommand(p, { ...io, host: operatorHost }),
  (p, io) => registerTokensCommand(p, { ...io, host: operatorHost }),
  (p, io) => registerAuditCommand(p, { ...io, host: operatorHost }),
  (p, io) => registerKeysCommand(p, { ...io, host: operatorHost }),
  registerConfigCommand,
  (p, io) => registerAlertsCommand(p, { ...io, openAlerts: alertsHost(io) }),
  (p, io) => registerLicenseCommand(p, { ...io, openRuntime: operatorHost.openRuntime }),
  (p, io) => registerLicenseCodesCommand(p, { ...io, host: operatorHost }),
  (p, io) => registerLicenseEventsCommand(p, { ...io, host: operatorHost }),
  (p, io) => registerTemplatesCommand(p, io, { regionGaps }),
];

/**
 * Runs `kgd` with the given arguments; resolves to the exit code. Never calls process.exit.
 *
 * @example
 *   const code = await runCli(['templates', 'check'], { stdin, stdout, stderr, env });
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = new Command('kgd')
    .description('koogallery-deployer: KooGallery production endpoint and Huawei Cloud deployer')
    .version(packageVersion, '-V, --version', 'print the version of kgd')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .showHelpAfterError('(run kgd --help for usage)');
  for (const register of registrations) register(program, io);
  // Nested commands (kgd deployments list) too: commander must never call process.exit.
  const overrideAll = (cmd: Command) => {
    cmd.exitOverride();
    cmd.commands.forEach(overrideAll);
  };
  program.commands.forEach(overrideAll);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCodes.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version')
        return exitCodes.ok;
      if (err.code === 'commander.help') return exitCodes.ok;
      return exitCodes.usage;
    }
    if (err instanceof ConfigError || err instanceof TemplateError || err instanceof SetupError) {
      io.stderr.write(`kgd: ${err.message}\n`);
      return exitCodes.config;
    }
    if (err instanceof CliError) {
      io.stderr.write(`kgd: ${err.message}\n`);
      return err.exitCode;
    }
    io.stderr.write(`kgd: ${(err as Error).stack ?? String(err)}\n`);
    return exitCodes.failure;
  }
}
