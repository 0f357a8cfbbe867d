import type { SshTarget } from './remote-host.js';

/**
 * The port's argument checks, shared by the adapter and the fake so both refuse the same mistakes
 * with the same message. A bad argument is the caller's bug: a plain `Error` naming the field,
 * neither `Retryable` nor `Permanent`.
 */

export function checkTarget(target: SshTarget): void {
  if (!target.host) throw new Error('host: expected the server address');
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65_535) {
    throw new Error(`port: expected a TCP port, got ${target.port}`);
  }
  if (!target.username) throw new Error('username: expected a user name');
  if (!target.password && !target.privateKey) {
    throw new Error('password or privateKey: expected at least one credential');
  }
}

export function checkRemotePath(remotePath: string): void {
  if (!remotePath || remotePath.includes('\0')) {
    throw new Error('remotePath: expected a non-empty path without NUL bytes');
  }
}

export function checkMode(mode: number): void {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new Error(`mode: expected permission bits between 0 and 0o7777, got ${mode}`);
  }
}

const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function checkEnv(env: Record<string, string> | undefined): void {
  for (const name of Object.keys(env ?? {})) {
    if (!envName.test(name)) throw new Error(`env.${name}: not a valid environment variable name`);
  }
}
