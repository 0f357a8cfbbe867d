import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Client, ClientChannel } from 'ssh2';
import type { Logger } from '../platform/logger.js';
import { SshConnectionLost, TransferFailed } from './errors.js';
import { createOutputCapture } from './output-capture.js';
import { execCommand, sendFileCommand, sha256Command } from './remote-commands.js';
import type { RemoteSession } from './remote-host.js';
import { type RawResult, type RawRun, uploadOverExec } from './ssh2-upload.js';

/** After a KILL signal at the deadline, how long to wait for the exit before closing the channel. */
export const killGraceMs = 3_000;

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

function checkPath(remotePath: string): void {
  if (!remotePath || remotePath.includes('\0')) {
    throw new Error('remotePath: expected a non-empty path without NUL bytes');
  }
}

function checkMode(mode: number): void {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new Error(`mode: expected permission bits between 0 and 0o7777, got ${mode}`);
  }
}

/** A `RemoteSession` over an authenticated ssh2 client. */
export function createSsh2Session(
  client: Client,
  hostKey: string,
  endpoint: string,
  logger: Logger,
): RemoteSession {
  const inFlight = new Set<(error: Error) => void>();
  let closed = false;
  let lastError: Error | undefined;
  client.on('error', (error) => {
    lastError = error;
    logger.debug({ endpoint, err: error.message }, 'ssh connection error');
  });
  client.on('close', () => {
    closed = true;
    const error = new SshConnectionLost(`the SSH connection to ${endpoint} closed`, {
      cause: lastError,
    });
    for (const fail of inFlight) fail(error);
    inFlight.clear();
  });

  function runRaw(run: RawRun): Promise<RawResult> {
    return new Promise((resolve, reject) => {
      if (closed)
        return reject(new SshConnectionLost(`the SSH connection to ${endpoint} is closed`));
      const timers: NodeJS.Timeout[] = [];
      const settle = (outcome: () => void) => {
        inFlight.delete(fail);
        for (const timer of timers) clearTimeout(timer);
        outcome();
      };
      const fail = (error: Error) => settle(() => reject(error));
      inFlight.add(fail);
      client.exec(run.command, (error, channel: ClientChannel) => {
        if (error) {
          return fail(
            new SshConnectionLost(`${endpoint} would not run a command: ${error.message}`, {
              cause: error,
            }),
          );
        }
        const result: RawResult = { exitCode: null, signal: null, timedOut: false };
        if (typeof run.stdout === 'function') channel.on('data', run.stdout);
        else if (run.stdout) channel.pipe(run.stdout);
        else channel.resume();
        channel.stderr.on('data', (chunk: Buffer) => run.stderr?.(chunk));
        channel.on('exit', (code: number | null, signal?: string) => {
          if (typeof code === 'number') result.exitCode = code;
          else result.signal = signal?.replace(/^SIG/, '') ?? null;
        });
        channel.on('close', () => settle(() => resolve(result)));
        if (run.timeoutMs !== undefined) {
          const deadline = setTimeout(() => {
            result.timedOut = true;
            // ssh2 sends signals only while our side is open (no stdin given: see below).
            channel.signal('KILL');
            timers.push(setTimeout(() => channel.close(), killGraceMs));
          }, run.timeoutMs);
          timers.push(deadline);
        }
        if (Buffer.isBuffer(run.stdin)) channel.end(run.stdin);
        else run.stdin?.(channel, fail);
        // Without stdin the channel stays open, so a signal can still be sent; the command
        // itself reads /dev/null (execCommand), and the server closes the channel at exit.
      });
    });
  }

  async function output(what: string, command: string): Promise<string> {
    const out = createOutputCapture('stdout', undefined);
    const err = createOutputCapture('stderr', undefined);
    const result = await runRaw({ command, stdout: out.push, stderr: err.push });
    const stderr = err.end().trim();
    if (result.exitCode !== 0) {
      throw new TransferFailed(`${what} on ${endpoint} failed: ${stderr}`);
    }
    return out.end();
  }

  return {
    hostKey,
    async exec(command, options = {}) {
      const stdout = createOutputCapture('stdout', options.onOutput);
      const stderr = createOutputCapture('stderr', options.onOutput);
      const result = await runRaw({
        command: execCommand(command, options),
        stdin: options.stdin === undefined ? undefined : Buffer.from(options.stdin),
        stdout: stdout.push,
        stderr: stderr.push,
        timeoutMs: options.timeoutMs,
      });
      return { ...result, stdout: stdout.end(), stderr: stderr.end() };
    },
    async upload(localPath, remotePath, options = {}) {
      const info = await stat(localPath);
      if (!info.isFile()) throw new Error(`localPath: ${localPath} is not a regular file`);
      const mode = options.mode ?? info.mode & 0o777;
      checkPath(remotePath);
      checkMode(mode);
      return uploadOverExec(runRaw, endpoint, remotePath, {
        bytes: info.size,
        mode,
        // Big reads keep the channel's 2 MiB window full with few calls.
        open: () => createReadStream(localPath, { highWaterMark: 1024 * 1024 }),
        sha256: () => sha256File(localPath),
      });
    },
    async uploadContent(content, remotePath, mode = 0o644) {
      checkPath(remotePath);
      checkMode(mode);
      const bytes = Buffer.from(content);
      return uploadOverExec(runRaw, endpoint, remotePath, {
        bytes: bytes.length,
        mode,
        open: () => Readable.from([bytes]),
        sha256: async () => createHash('sha256').update(bytes).digest('hex'),
      });
    },
    async download(remotePath, localPath) {
      checkPath(remotePath);
      const tmp = `${localPath}.kgd-download-${randomBytes(4).toString('hex')}`;
      try {
        const file = createWriteStream(tmp, { mode: 0o600 });
        const hash = createHash('sha256');
        let bytes = 0;
        const meter = new Transform({
          transform(chunk: Buffer, _encoding, done) {
            hash.update(chunk);
            bytes += chunk.length;
            done(null, chunk);
          },
        });
        meter.pipe(file);
        const err = createOutputCapture('stderr', undefined);
        const result = await runRaw({
          command: sendFileCommand(remotePath),
          stdout: meter,
          stderr: err.push,
        });
        await finished(file);
        if (result.exitCode !== 0) {
          throw new TransferFailed(`download of ${remotePath} failed: ${err.end().trim()}`);
        }
        const sha256 = hash.digest('hex');
        const remoteSha = (
          await output(`sha256 of ${remotePath}`, sha256Command(remotePath))
        ).trim();
        if (remoteSha !== sha256) {
          throw new TransferFailed(`download of ${remotePath} changed in transit or meanwhile`);
        }
        await rename(tmp, localPath);
        return { bytes, sha256 };
      } finally {
        await rm(tmp, { force: true });
      }
    },
    async close() {
      if (closed) return;
      await new Promise<void>((resolve) => {
        client.once('close', () => resolve());
        client.end();
        // A peer that never answers the disconnect must not hold the caller.
        setTimeout(() => client.destroy(), killGraceMs).unref();
      });
    },
  };
}
