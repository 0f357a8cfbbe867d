import { readFileSync } from 'node:fs';
import type { Tally } from './report.js';
import type { RowCounts } from './rows.js';

/** The run's verdict: each check with whether it passed and the figure behind it. */
export type Check = [name: string, ok: boolean, info: string];

/** Log lines that mean the service met something it did not expect, or died of it. */
const unexpectedLine =
  /unexpectedly|uncaught|unhandled|"level":60|FATAL|RangeError|TypeError|Maximum call stack/i;

export function unexpectedLogLines(logFile: string): string[] {
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => unexpectedLine.test(l));
}

const sum = (r: Partial<RowCounts>) => Object.values(r).reduce((a, b) => a + (b ?? 0), 0);
export const formatRows = (r: Partial<RowCounts>) =>
  Object.entries(r)
    .map(([t, n]) => `${t} ${n}`)
    .join(', ');

export function verdict(run: {
  tally: Tally;
  alive: boolean;
  healthz: number | string;
  unexpected: string[];
  kgdExit: number | null;
  /** Rows written (xmin) during the unauthenticated phase, and counts around it. */
  refused: { written: RowCounts; before: RowCounts; after: RowCounts };
  /** Rows written during the authenticated malformed phase, the inbox's kept answers. */
  malformed: { written: RowCounts; stored: Record<string, number>; answered000002: number };
}): Check[] {
  const all = run.tally.outcomes();
  const s5xx = all.filter((o) => Number(o.status) >= 500).length;
  const non200 = all.filter((o) => o.status !== '200').length;
  const { written, before, after } = run.refused;
  // The replay guard's purge may delete rows at any time; the other tables never lose rows.
  const { replay_guard: _b, ...kept } = before;
  const grown = Object.entries(kept).filter(([t, n]) => after[t as keyof RowCounts] !== n);
  const { inbox: _i, replay_guard: _r, ...effects } = run.malformed.written;
  const { stored, answered000002 } = run.malformed;
  const mismatches = run.tally.mismatches().length;
  const disagreements = run.tally.selfChecks().length;
  return [
    ['no HTTP 5xx', s5xx === 0, `${s5xx}`],
    ['every call answered with HTTP 200', non200 === 0, `${non200} not`],
    [
      'no crash: kgd serve alive, /healthz 200',
      run.alive && run.healthz === 200,
      `alive ${run.alive}, /healthz ${run.healthz}`,
    ],
    [
      'no unexpected or uncaught error in the log',
      run.unexpected.length === 0,
      `${run.unexpected.length} lines`,
    ],
    [
      'no row written by unauthenticated or refused calls',
      sum(written) === 0 && grown.length === 0,
      `${sum(written)} written`,
    ],
    [
      'no instance, operation, license, log from malformed calls',
      sum(effects) === 0,
      formatRows(effects),
    ],
    [
      'malformed calls kept in the inbox with their 000002',
      Object.keys(stored).every((c) => c === '000002') &&
        (stored['000002'] ?? 0) === answered000002,
      `${stored['000002'] ?? 0} rows for ${answered000002} answers`,
    ],
    ['the right result code for every call', mismatches === 0, `${mismatches} wrong`],
    ['the oracle agrees with every builder', disagreements === 0, `${disagreements} disagreements`],
    ['SIGTERM stops kgd serve cleanly', run.kgdExit === 0, `exit ${run.kgdExit}`],
  ];
}
