import { v1Names, v2Names } from './calls.js';
import type { Outcome } from './run.js';
import type { Wire } from './wire.js';

/** Tallies of a run and their printing: classes × result codes, HTTP statuses, mismatches. */
export interface Tally {
  add(o: Outcome): void;
  outcomes(): Outcome[];
  mismatches(): Outcome[];
  selfChecks(): Outcome[];
  statuses(): Map<string, number>;
  print(out: (line: string) => void): void;
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/** A request as it went on the wire, readable and reproducible (bodies as JSON strings). */
function describeWire(w: Wire, max = 600): string {
  const lines = [
    `${w.method} ${w.path.length > max ? `${w.path.slice(0, max)}… (${w.path.length} chars)` : w.path}`,
  ];
  for (const [k, v] of Object.entries(w.headers)) lines.push(`${k}: ${v}`);
  if (w.chunked) lines.push('transfer-encoding: chunked');
  if (w.body) {
    const text = w.body.toString('utf8');
    const valid = Buffer.from(text, 'utf8').equals(w.body);
    lines.push(
      valid
        ? `body (${w.body.length} bytes, as a JSON string): ${JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text)}`
        : `body (${w.body.length} bytes, not UTF-8, base64): ${w.body.toString('base64').slice(0, max)}`,
    );
  }
  return lines.join('\n      ');
}

export function createTally(): Tally {
  const all: Outcome[] = [];
  const statuses = new Map<string, number>();
  return {
    add(o) {
      all.push(o);
      statuses.set(o.status, (statuses.get(o.status) ?? 0) + 1);
    },
    outcomes: () => all,
    mismatches: () => all.filter((o) => o.problems.length > 0),
    selfChecks: () => all.filter((o) => o.selfCheck),
    statuses: () => statuses,
    print(out) {
      const classes = [...new Set(all.map((o) => o.cls))];
      const codes = [...new Set(all.map((o) => o.code))].sort();
      const head = `${'class'.padEnd(24)}${'calls'.padStart(7)}${codes.map((c) => c.padStart(8)).join('')}${'wrong'.padStart(8)}`;
      out(head);
      out('-'.repeat(head.length));
      for (const cls of classes) {
        const rows = all.filter((o) => o.cls === cls);
        const cells = codes.map((c) =>
          String(rows.filter((o) => o.code === c).length || '.').padStart(8),
        );
        const wrong = rows.filter((o) => o.problems.length > 0).length;
        out(
          `${cls.padEnd(24)}${String(rows.length).padStart(7)}${cells.join('')}${String(wrong).padStart(8)}`,
        );
      }
      out('-'.repeat(head.length));
      const total = codes.map((c) => String(all.filter((o) => o.code === c).length).padStart(8));
      out(
        `${'all'.padEnd(24)}${String(all.length).padStart(7)}${total.join('')}${String(this.mismatches().length).padStart(8)}`,
      );
      out('');
      out(`HTTP status: ${[...statuses].map(([s, n]) => `${s} × ${n}`).join(', ')}`);
      const ms = all.map((o) => o.ms).sort((a, b) => a - b);
      out(
        `latency: p50 ${pct(ms, 50).toFixed(1)} ms, p99 ${pct(ms, 99).toFixed(1)} ms, max ${ms.at(-1)?.toFixed(0)} ms, over the 5 s deadline: ${ms.filter((m) => m > 5000).length}`,
      );
      // Coverage: each protocol × activity, and each mutation operator, with how often it ran.
      const count = (keys: (string | undefined)[]) => {
        const m = new Map<string, number>();
        for (const k of keys) if (k) m.set(k, (m.get(k) ?? 0) + 1);
        return [...m]
          .sort()
          .map(([k, n]) => `${k} ${n}`)
          .join(', ');
      };
      const known = new Set<string>([...v1Names, ...v2Names]);
      const activity = /^(v1|v2) ([A-Za-z]+)\b/;
      const named = all.map((o) => activity.exec(o.detail)).filter((m) => m && known.has(m[2]!));
      out(`activities: ${count(named.map((m) => `${m![1]} ${m![2]}`))}`);
      const mutation =
        /\b(body|query|bytes) ([a-z-]+)$|\b(set|delete|add|activity|duplicate|wrap)\b/;
      out(
        `mutations: ${count(
          all
            .filter((o) => o.cls.startsWith('mutated'))
            .map((o) => {
              const m = mutation.exec(o.detail);
              return m ? (m[1] ? `${m[1]} ${m[2]}` : m[3]) : undefined;
            }),
        )}`,
      );
      const groups = new Map<string, number>();
      for (const o of this.mismatches()) {
        const key = `${o.cls}: ${o.problems[0]}`;
        groups.set(key, (groups.get(key) ?? 0) + 1);
      }
      if (groups.size > 0) {
        out('');
        out('mismatches by kind:');
        for (const [k, n] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, 20))
          out(`  ${n} × ${k}`);
      }
    },
  };
}

/** The first few mismatches, each with the exact request, to replay by hand or in a test. */
export function printMismatches(list: Outcome[], n: number, out: (line: string) => void): void {
  const seen = new Set<string>();
  let shown = 0;
  for (const o of list) {
    const kind = `${o.cls}|${o.problems[0]?.replace(/\d{6}/g, '') ?? ''}|${o.code}`;
    if (seen.has(kind)) continue;
    seen.add(kind);
    out(`#${o.index} [${o.phase}] ${o.cls} — ${o.detail}`);
    for (const p of o.problems) out(`    problem: ${p}`);
    out(
      `    answered ${o.code}${o.resultMsg ? ` ${JSON.stringify(o.resultMsg)}` : ''} (HTTP ${o.status})`,
    );
    out(`    request: ${describeWire(o.wire)}`);
    if (++shown >= n) break;
  }
}
