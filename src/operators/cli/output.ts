import type { CliIo } from '../../platform/cli-io.js';

/**
 * How operator commands print: aligned tables for people, `--json` for scripts, and a progress
 * line for long waits that only a terminal sees (stderr, and only when it is a TTY).
 */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/** A plain-text table: a header row, then rows; long cells are clipped to `maxWidth`. */
export function table(
  headers: string[],
  rows: Array<Array<string | number | null | undefined>>,
  maxWidth = 60,
): string {
  const cells = rows.map((r) =>
    r.map((c) => clip(c === null || c === undefined || c === '' ? '-' : String(c), maxWidth)),
  );
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n') + '\n';
}

/** `1.2 s`, `340 ms`, `3 min 05 s`. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')} s`;
}

/** `2026-03-01 03:12:05` (UTC), compact and sortable. */
export function when(isoTime: string | null | undefined): string {
  if (!isoTime) return '-';
  return isoTime.replace('T', ' ').replace(/\.\d+Z$|Z$/, '');
}

export interface Progress {
  update(text: string): void;
  done(): void;
}

/** A one-line progress display on a terminal; silent when stderr is a pipe or a file. */
export function createProgress(io: CliIo): Progress {
  if (!io.stderr.isTTY) return { update() {}, done() {} };
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let i = 0;
  let shown = false;
  return {
    update(text) {
      io.stderr.write(`\r\x1b[K${frames[i++ % frames.length]} ${text}`);
      shown = true;
    },
    done() {
      if (shown) io.stderr.write('\r\x1b[K');
      shown = false;
    },
  };
}
