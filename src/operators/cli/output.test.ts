import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../platform/cli-io.js';
import { createProgress, duration, table } from './output.js';

const io = (tty: boolean) => {
  const err: string[] = [];
  const value: CliIo = {
    stdin: Readable.from(['']),
    stdout: { write: () => true, isTTY: tty },
    stderr: { write: (s: string) => err.push(s), isTTY: tty },
    env: {},
  };
  return { io: value, err };
};

describe('output', () => {
  it('aligns tables, clips long cells and shows missing values as -', () => {
    expect(
      table(
        ['ID', 'NOTE'],
        [
          ['a', null],
          ['bbbb', 'x'.repeat(70)],
        ],
        10,
      ),
    ).toBe(`ID    NOTE\na     -\nbbbb  ${'x'.repeat(9)}…\n`);
  });

  it('durations read naturally', () => {
    expect(duration(340)).toBe('340 ms');
    expect(duration(1234)).toBe('1.2 s');
    expect(duration(185_000)).toBe('3 min 05 s');
    expect(duration(null)).toBe('-');
  });

  it('shows progress on a terminal only', () => {
    const tty = io(true);
    const p = createProgress(tty.io);
    p.update('waiting');
    p.done();
    expect(tty.err.join('')).toContain('waiting');
    const pipe = io(false);
    const q = createProgress(pipe.io);
    q.update('waiting');
    q.done();
    expect(pipe.err).toEqual([]);
  });
});
