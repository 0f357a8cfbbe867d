import type { Readable } from 'node:stream';

/**
 * What a CLI command may touch: its streams and environment. `kgd` is a function of
 * `(argv, io)`, so tests run commands in-process and read what they printed.
 */
export interface CliIo {
  stdin: Readable;
  stdout: { write(chunk: string): unknown; isTTY?: boolean };
  stderr: { write(chunk: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
}

/** Thrown by a command to end with a message on stderr and a given exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Exit codes scripts can rely on. */
export const exitCodes = {
  ok: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  /** The action was refused (it conflicts with the deployment's state). */
  refused: 4,
  /** `kgd serve`: another replica took this one's work over (its lease was revoked); restart it. */
  leaseRevoked: 75,

  config: 78,
} as const;
