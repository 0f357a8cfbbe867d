import { Readable } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { CliError, type CliIo, exitCodes } from '../../src/platform/cli-io.js';
import { ConfigError } from '../../src/platform/config.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs one `kgd` subcommand in-process, the way src/app/cli.ts's `runCli` runs the registered ones
 * (same exit-code mapping), for commands not registered there yet.
 */
export async function runCommand(
  register: (program: Command, io: CliIo) => void,
  argv: string[],
  env: Record<string, string | undefined> = {},
  stdin = '',
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdin: Readable.from([stdin]),
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env,
  };
  const program = new Command('kgd')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  register(program, io);
  const overrideAll = (cmd: Command) => {
    cmd.exitOverride();
    cmd.commands.forEach(overrideAll);
  };
  overrideAll(program);
  let code: number = exitCodes.ok;
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      code = err.code.startsWith('commander.help') ? exitCodes.ok : exitCodes.usage;
    } else if (err instanceof ConfigError) {
      io.stderr.write(`kgd: ${err.message}\n`);
      code = exitCodes.config;
    } else if (err instanceof CliError) {
      io.stderr.write(`kgd: ${err.message}\n`);
      code = err.exitCode;
    } else {
      throw err;
    }
  }
  return { code, stdout, stderr };
}
