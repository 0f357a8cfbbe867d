import { Readable } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { CliError, type CliIo, exitCodes } from '../../../src/platform/cli-io.js';
import { registerMarketplaceCommand } from '../../../src/simulator/marketplace/cli.js';

/**
 * Runs `kgd marketplace ...` in-process as src/app/cli.ts would once the command is registered there:
 * same commander setup, same error-to-exit-code mapping.
 */
export async function runMarketplaceCli(
  argv: string[],
  env: Record<string, string | undefined> = {},
) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdin: Readable.from([]),
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env,
  };
  const program = new Command('kgd')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  registerMarketplaceCommand(program, io);
  const exitOverride = (cmd: Command) => {
    cmd.exitOverride();
    cmd.commands.forEach(exitOverride);
  };
  exitOverride(program);
  let code: number = exitCodes.ok;
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      code =
        err.code === 'commander.helpDisplayed' || err.code === 'commander.help'
          ? 0
          : exitCodes.usage;
    } else if (err instanceof CliError) {
      io.stderr.write(`kgd: ${err.message}\n`);
      code = err.exitCode;
    } else throw err;
  }
  return { code, stdout, stderr };
}
