import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { Client, ClientChannel } from 'ssh2';
import type { Logger } from '../platform/logger.js';
import { checkMode, checkRemotePath } from './check-arguments.js';
import { SshConnectionLost } from './errors.js';
import { createOutputCapture } from './output-capture.js';
import { execCommand } from './remote-commands.js';
import {
  defaultExecTimeoutMs,
  defaultMinTransfer,
  type RemoteSession,
  type SshTarget,
} from './remote-host.js';
import { type RawResult, type RawRun, uploadOverExec } from './ssh2-upload.js';

/** After a KILL signal at the deadline, how long to wait for the exit before closing the channel. */
const killGraceMs = 3_000;

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

/** A `RemoteSession` over an authenticated ssh2 client. */
export function createSsh2Session(
  client: Client,
  hostKey: string,
  endpoint: string,
  logger: Logger,
  target: Pick<SshTarget, 'minTransfer'> = {},
): RemoteSession {
  const transfer = { minTransfer: target.minTransfer ?? defaultMinTransfer, drop: () => drop() };
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

  /** Ends the connection at once: the peer stopped answering, so nothing of it is worth waiting for. */
  const drop = () => client.destroy();

  function runRaw(run: RawRun): Promise<RawResult> {
    return new Promise((resolve, reject) => {
      if (closed)
        return reject(new SshConnectionLost(`the SSH connection to ${endpoint} is closed`));
      const timers: NodeJS.Timeout[] = [];
      let channel: ClientChannel | undefined;
      const result: RawResult = { exitCode: null, signal: null, timedOut: false };
      const settle = (outcome: () => void) => {
        inFlight.delete(fail);
        for (const timer of timers) clearTimeout(timer);
        outcome();
      };
      const fail = (error: Error) => settle(() => reject(error));
      inFlight.add(fail);
      const unanswered = (what: string) => () => {
        fail(new SshConnectionLost(`${endpoint} ${what}: connection dropped`));
        drop();
      };
      // The deadline and the graces after it are watchdogs on a real process and a real peer,
      // not waits of ours: real timers, cleared when the channel closes. A test clock must not
      // fire them. The deadline runs from the request, so a server that never opens the channel
      // is caught too; one that ignores the KILL and the close is dropped.
      if (run.timeoutMs !== undefined) {
        const deadline = setTimeout(() => {
          if (!channel) return unanswered(`did not start a command within ${run.timeoutMs} ms`)();
          result.timedOut = true;
          // ssh2 sends signals only while our side is open (no stdin given: see below).
          channel.signal('KILL');
          timers.push(
            setTimeout(() => {
              channel?.close();
              timers.push(
                setTimeout(unanswered('did not end a command killed at its deadline'), killGraceMs),
              );
            }, killGraceMs),
          );
        }, run.timeoutMs);
        timers.push(deadline);
      }
      client.exec(run.command, (error, opened: ClientChannel) => {
        if (error) {
          return fail(
            new SshConnectionLost(`${endpoint} would not run a command: ${error.message}`, {
              cause: error,
            }),
          );
        }
        channel = opened;
        if (!inFlight.has(fail)) return void opened.close(); // already failed meanwhile
        if (typeof run.stdout === 'function') opened.on('data', run.stdout);
        else if (run.stdout) opened.pipe(run.stdout);
        else opened.resume();
        opened.stderr.on('data', (chunk: Buffer) => run.stderr?.(chunk));
        opened.on('exit', (code: number | null, signal?: string) => {
          if (typeof code === 'number') result.exitCode = code;
          else result.signal = signal?.replace(/^SIG/, '') ?? null;
        });
        opened.on('close', () => settle(() => resolve(result)));
        if (Buffer.isBuffer(run.stdin)) opened.end(run.stdin);
        else run.stdin?.(opened, fail);
        // Without stdin the channel stays open, so a signal can still be sent; the command
        // itself reads /dev/null (execCommand), and the server closes the channel at exit.
      });
    });
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
        timeoutMs: options.timeoutMs ?? defaultExecTimeoutMs,
      });
      return { ...result, stdout: stdout.end(), stderr: stderr.end() };
    },
    async upload(localPath, remotePath, options = {}) {
      const info = await stat(localPath);
      if (!info.isFile()) throw new Error(`localPath: ${localPath} is not a regular file`);
      const mode = options.mode ?? info.mode & 0o777;
      checkRemotePath(remotePath);
      checkMode(mode);
      return uploadOverExec(runRaw, endpoint, remotePath, transfer, {
        bytes: info.size,
        mode,
        // Big reads keep the channel's 2 MiB window full with few calls.
        open: () => createReadStream(localPath, { highWaterMark: 1024 * 1024 }),
        sha256: () => sha256File(localPath),
      });
    },
    async uploadContent(content, remotePath, mode = 0o644) {
      checkRemotePath(remotePath);
      checkMode(mode);
      const bytes = Buffer.from(content);
      return uploadOverExec(runRaw, endpoint, remotePath, transfer, {
        bytes: bytes.length,
        mode,
        open: () => Readable.from([bytes]),
        sha256: async () => createHash('sha256').update(bytes).digest('hex'),
      });
    },
    async close() {
      if (closed) return;
      await new Promise<void>((resolve) => {
        client.once('close', () => resolve());
        client.end();
        // A peer that never answers the disconnect must not hold the caller (a watchdog, like
        // the exec deadline: real time, and unref'd so it never holds the process either).
        setTimeout(() => client.destroy(), killGraceMs).unref();
      });
    },
  };
}
