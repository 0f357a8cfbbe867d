import { createHash } from 'node:crypto';
import { type Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ClientChannel } from 'ssh2';
import { Permanent, Retryable } from '../platform/errors.js';
import { TransferFailed, TransferStalled } from './errors.js';
import { createOutputCapture } from './output-capture.js';
import { endOfUpload, parseReceiverState, receiveFileCommand } from './remote-commands.js';
import type { ExecResult, UploadResult } from './remote-host.js';

export interface RawRun {
  command: string;
  /** Bytes to send then EOF, or full control of the channel's input. */
  stdin?: Buffer | ((channel: ClientChannel, fail: (error: Error) => void) => void);
  /** A callback per chunk, or a stream to pipe into (with backpressure; ended at EOF). */
  stdout?: ((chunk: Buffer) => void) | Writable;
  stderr?: (chunk: Buffer) => void;
  timeoutMs?: number;
}

export type RawResult = Pick<ExecResult, 'exitCode' | 'signal' | 'timedOut'>;

export interface UploadSource {
  bytes: number;
  mode: number;
  open(): Readable;
  /** Only needed when the remote file has the same size: then both sides are hashed. */
  sha256(): Promise<string>;
}

/**
 * One upload over one exec of `receiveFileCommand`: read the target's state, then keep it
 * (same sha256 on both sides), re-mode it, or stream the content, hashing it on the way for the
 * result.
 */
export async function uploadOverExec(
  run: (raw: RawRun) => Promise<RawResult>,
  endpoint: string,
  remotePath: string,
  transfer: {
    minTransfer: { bytesPerSecond: number; windowMs: number };
    /** Drops the connection (a stalled peer answers nothing, not even a close). */
    drop: () => void;
  },
  source: UploadSource,
): Promise<UploadResult> {
  const stderr = createOutputCapture('stderr', undefined);
  const lines = createLineQueue();
  // Progress is every byte moved either way; a window with less than the minimum fails the
  // upload and drops the connection. A real-time watchdog, like an exec deadline.
  const { bytesPerSecond, windowMs } = transfer.minTransfer;
  const least = Math.ceil((bytesPerSecond * windowMs) / 1000);
  let moved = 0;
  let stalled: TransferStalled | undefined;
  const watchdog = setInterval(() => {
    if (moved < least) {
      stalled = new TransferStalled(
        `upload of ${remotePath} to ${endpoint} stalled: ${moved} bytes in ${windowMs / 1000} s, below the minimum of ${bytesPerSecond} bytes/s`,
      );
      clearInterval(watchdog);
      transfer.drop();
    }
    moved = 0;
  }, windowMs);
  const received = (chunk: Buffer) => {
    moved += chunk.length;
    lines.push(chunk);
  };
  let outcome: { skipped: boolean; sha256: string } | undefined;

  async function drive(channel: ClientChannel) {
    const state = parseReceiverState(await lines.next());
    if (state.kind === 'same-size') {
      const [local, remote] = await Promise.all([source.sha256(), lines.next()]);
      if (local === remote.trim()) {
        outcome = { skipped: true, sha256: local };
        channel.end(state.mode === source.mode ? 'keep\n' : 'chmod\n');
        return;
      }
    }
    channel.write('send\n');
    const hash = createHash('sha256');
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        moved += chunk.length;
        done(null, chunk);
      },
    });
    await pipeline(source.open(), meter, channel, { end: false });
    outcome = { skipped: false, sha256: hash.digest('hex') };
    channel.end(`${endOfUpload}\n`);
  }

  const result = await run({
    command: receiveFileCommand(remotePath, source),
    stdout: received,
    stderr: stderr.push,
    stdin: (channel, fail) => {
      drive(channel).catch((error: Error) => {
        channel.close();
        fail(
          error instanceof Retryable || error instanceof Permanent
            ? error
            : new TransferFailed(`upload of ${remotePath}: ${error.message}`, { cause: error }),
        );
      });
    },
  })
    .catch((error: unknown) => {
      throw stalled ?? error;
    })
    .finally(() => clearInterval(watchdog));
  if (stalled) throw stalled;
  if (result.exitCode !== 0 || !outcome) {
    const status = result.signal ?? result.exitCode;
    throw new TransferFailed(
      `upload of ${remotePath} to ${endpoint} failed (${status}): ${stderr.end().trim()}`,
    );
  }
  return { skipped: outcome.skipped, bytes: source.bytes, sha256: outcome.sha256 };
}

/** Lines of a command's output, awaited one by one as they arrive. */
function createLineQueue() {
  let buffered = '';
  const waiting: ((line: string) => void)[] = [];
  const drain = () => {
    let newline = buffered.indexOf('\n');
    while (newline >= 0 && waiting.length > 0) {
      waiting.shift()!(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf('\n');
    }
  };
  return {
    push(chunk: Buffer) {
      buffered += chunk.toString();
      drain();
    },
    next(): Promise<string> {
      return new Promise((resolve) => {
        waiting.push(resolve);
        drain();
      });
    },
  };
}
