import { StringDecoder } from 'node:string_decoder';
import { maxCapturedOutput, type OutputLine } from './remote-host.js';

/** A line longer than this is delivered in pieces rather than held back indefinitely. */
const maxLineLength = 16 * 1024;

/**
 * One output stream of a command: delivers complete lines as they arrive (UTF-8 sequences split
 * across chunks are kept whole) and keeps the last `maxCapturedOutput` bytes for the result.
 */
export function createOutputCapture(
  stream: OutputLine['stream'],
  onOutput: ((line: OutputLine) => void) | undefined,
) {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let tail = Buffer.alloc(0);

  const emit = (text: string) => onOutput?.({ stream, text });
  return {
    push(chunk: Buffer) {
      tail = Buffer.concat([tail, chunk]);
      if (tail.length > maxCapturedOutput) tail = tail.subarray(tail.length - maxCapturedOutput);
      if (!onOutput) return;
      pending += decoder.write(chunk);
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        emit(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
      }
      while (pending.length > maxLineLength) {
        emit(pending.slice(0, maxLineLength));
        pending = pending.slice(maxLineLength);
      }
    },
    /** Flushes an unterminated last line and returns the captured text. */
    end(): string {
      if (onOutput) {
        pending += decoder.end();
        if (pending) emit(pending);
        pending = '';
      }
      return tail.toString('utf8');
    },
  };
}
