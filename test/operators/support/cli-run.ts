import { Readable } from 'node:stream';
import { type CliIo, runCli } from '../../../src/app/cli.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `kgd` in-process through the real `runCli` (every registered command, real exit codes). */
export async function kgd(
  env: Record<string, string | undefined>,
  argv: string[],
  options: { stdin?: string; tty?: boolean } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const stdin = Readable.from([options.stdin ?? '']) as Readable & { isTTY?: boolean };
  if (options.tty) stdin.isTTY = true;
  const io: CliIo = {
    stdin,
    stdout: { write: (s: string) => (stdout += s), isTTY: !!options.tty },
    stderr: { write: (s: string) => (stderr += s), isTTY: !!options.tty },
    env,
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}
