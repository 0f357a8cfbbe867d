/**
 * The `RemoteHost` port: what a deployment needs of a freshly created server over SSH — connect
 * (pinning the host key), upload files (skipping identical ones), run hooks with a timeout and
 * streamed output, disconnect. `fromSsh2` (from-ssh2.ts) is the real adapter; the typed fake for
 * unit tests is `createFakeRemote` in test/support/fakes/remote.ts, and test/contract holds both
 * to the same behaviour. `waitForSsh` (wait-for-ssh.ts) polls `connect` until sshd answers.
 * Failures are the classes of errors.ts: `Retryable` or `Permanent` from platform/errors.ts.
 *
 * @example
 *   const session = await waitForSsh(
 *     remote,
 *     { host: eip, port: 22, username: 'root', password, expectedHostKey: instance.hostKey },
 *     { clock, timeoutMs: 300_000, signal },
 *   );
 *   try {
 *     if (!instance.hostKey) await store.recordHostKey(instance.id, session.hostKey);
 *     await session.upload('pkg.tar.gz', '/opt/app/pkg.tar.gz');
 *     const run = await session.exec('./install.sh', { cwd: '/opt/app', timeoutMs: 600_000,
 *       onOutput: (line) => log.info({ hook: 'install', ...line }) });
 *     requireSuccess('the install hook', run);
 *   } finally {
 *     await session.close();
 *   }
 */
export interface RemoteHost {
  /**
   * One connection attempt: TCP, SSH handshake, host key check, authentication. Fails with
   * `SshUnreachable` (refused, timed out: retryable), `SshAuthFailed` or `HostKeyMismatch`
   * (permanent); a target missing a field throws a plain `Error` naming it. `signal` aborts the
   * attempt at once (`Cancelled`).
   */
  connect(target: SshTarget, options?: { signal?: AbortSignal }): Promise<RemoteSession>;
}

export interface SshTarget {
  host: string;
  port: number;
  username: string;
  password?: string;
  /** An OpenSSH or PEM private key. */
  privateKey?: string | Buffer;
  /**
   * The host key fingerprint (SHA256:...) recorded at first contact. Absent on first contact:
   * the key presented is trusted and returned as `RemoteSession.hostKey` for the caller to
   * record; present, any other key fails with `HostKeyMismatch`.
   */
  expectedHostKey?: string;
  /** Deadline for TCP connect + SSH handshake + authentication; `defaultReadyTimeoutMs` if absent. */
  readyTimeoutMs?: number;
  /**
   * Called with the peer's IP address once TCP connects, before any SSH byte is sent; a throw
   * refuses the connection and is `connect`'s failure. For servers a buyer named, whose address
   * is checked again where the socket actually goes.
   */
  checkAddress?: (address: string) => void;
  /**
   * Every upload of the session must move at least `bytesPerSecond` over each `windowMs`, or
   * fails with `TransferStalled`; `defaultMinTransfer` if absent.
   */
  minTransfer?: { bytesPerSecond: number; windowMs: number };
}

export const defaultReadyTimeoutMs = 20_000;

/** 64 KB/s over 30 s: far below any working link, far above a server that stopped reading. */
export const defaultMinTransfer = { bytesPerSecond: 65_536, windowMs: 30_000 };

/** A command given no `timeoutMs` is killed after this long: every command has a deadline. */
export const defaultExecTimeoutMs = 30 * 60_000;

export interface RemoteSession {
  /** SHA256 fingerprint of the host key this connection verified. */
  readonly hostKey: string;
  /**
   * Runs `command` with bash on the server. Resolves whatever the exit status (see `ExecResult`
   * and `requireSuccess`); rejects with `SshConnectionLost` when the connection breaks or the
   * session is closed meanwhile, or when the server does not even answer the kill at the
   * deadline (the connection is then dropped).
   */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /**
   * Uploads a local file to `remotePath` (parent directories created), atomically: written
   * beside it under a private umask, its size checked, then renamed. Skips the transfer when the
   * remote file already has the same sha256 (both sides are hashed only when the sizes match).
   * `mode` defaults to the local file's permission bits. The result's sha256 is that of the
   * bytes sent (or found identical). Fails with `TransferFailed` (retryable), or
   * `TransferStalled` below the session's minimum throughput (the connection is dropped).
   */
  upload(localPath: string, remotePath: string, options?: { mode?: number }): Promise<UploadResult>;
  /** Same as `upload` for content in memory (rendered configuration, license files). */
  uploadContent(content: string | Buffer, remotePath: string, mode?: number): Promise<UploadResult>;
  /** Ends the connection cleanly; safe to call twice. */
  close(): Promise<void>;
}

export interface ExecOptions {
  /**
   * After this long the command is killed (a KILL signal, and coreutils `timeout` on the server
   * for sshd versions that ignore signals) and the result says `timedOut: true`.
   * `defaultExecTimeoutMs` if absent.
   */
  timeoutMs?: number;
  /** Each complete line of output, as it arrives (a final unterminated line is flushed at exit). */
  onOutput?: (line: OutputLine) => void;
  /** Exported for the command (sshd would refuse most variables sent as SSH `env` requests). */
  env?: Record<string, string>;
  /** Working directory; root's home when absent. */
  cwd?: string;
  /** Written to the command's standard input, then closed. */
  stdin?: string | Buffer;
}

export interface OutputLine {
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface ExecResult {
  /** null when the command died of a signal or the server reported no status. */
  exitCode: number | null;
  /** Signal name without "SIG" (e.g. "KILL"), or null. */
  signal: string | null;
  timedOut: boolean;
  /** The output, each capped to its last `maxCapturedOutput` bytes. */
  stdout: string;
  stderr: string;
}

export interface UploadResult {
  skipped: boolean;
  bytes: number;
  sha256: string;
}

/** Bytes of each output stream an `ExecResult` keeps (the end, which is where errors are). */
export const maxCapturedOutput = 1024 * 1024;
