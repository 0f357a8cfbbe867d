import { type Command, InvalidArgumentError } from 'commander';

/** Option helpers shared by the `kgd marketplace` subcommands. */

export function intArg(value: string): number {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number');
  return Number(value);
}

export const collect = (value: string, previous: string[]) => [...previous, value];

export function withTarget(cmd: Command): Command {
  return cmd
    .option('--sim <url>', 'simulator URL (default $KGD_SIM_URL or http://127.0.0.1:8090)')
    .option('--json', 'print the control API answer as JSON');
}
