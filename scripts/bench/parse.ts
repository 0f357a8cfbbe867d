/**
 * Reads the summary lines the benchmark scripts print and turns them into rows of one table: what
 * was measured, kgd's figure, the baseline measured in the same run, their ratio, the target and
 * whether it was met. A line that is not found is an error naming the benchmark and the line, so
 * a change to a benchmark's output cannot silently empty the table.
 */
export interface Row {
  measure: string;
  kgd: string;
  baseline: string;
  ratio: string;
  target: string;
  verdict: '' | 'met' | 'NOT met';
}

export class ParseError extends Error {
  override name = 'ParseError';
}

function need(bench: string, output: string, line: string, pattern: RegExp): RegExpExecArray {
  const m = pattern.exec(output);
  if (!m) throw new ParseError(`${bench}: no "${line}" line in its output`);
  return m;
}

const num = (s: string | undefined) => Number(s);
const fixed = (n: number, digits = 2) => n.toFixed(digits);
const verdictOf = (s: string | undefined): Row['verdict'] => (s === 'met' ? 'met' : 'NOT met');

export function gatewayRows(output: string): Row[] {
  const row = (name: string) =>
    new RegExp(
      `^${name}.*?(\\d+) req/s\\s+(\\d+) durable/s\\s+p50\\s+([\\d.]+) ms\\s+p99\\s+([\\d.]+) ms\\s+errors (\\d+)`,
      'm',
    );
  const bare = need('bench-gateway', output, 'bare Hono', row('bare Hono'));
  const kgd = need('bench-gateway', output, 'kgd serve', row('kgd serve'));
  const target = need('bench-gateway', output, 'target', /^target: .* -> (met|NOT met)/m);
  const load = /^load: (\d+) concurrent clients, (\d+) s per target/m.exec(output);
  const durable = num(kgd[2]);
  const p99 = num(kgd[4]);
  return [
    {
      measure: `Gateway throughput, signed V2 mix${load ? ` (${load[1]} clients, ${load[2]} s)` : ''}`,
      kgd: `${kgd[1]} req/s (${kgd[2]} durable/s, ${kgd[5]} errors)`,
      baseline: `bare Hono ${bare[1]} req/s`,
      ratio: fixed(num(kgd[1]) / num(bare[1]), 3),
      target: '>= 1000 durable/s',
      verdict: durable >= 1000 ? 'met' : 'NOT met',
    },
    {
      measure: 'Gateway latency p99 (p50)',
      kgd: `${kgd[4]} ms (${kgd[3]} ms)`,
      baseline: `bare Hono ${bare[4]} ms (${bare[3]} ms)`,
      ratio: `${fixed(p99 / num(bare[4]))}x`,
      target: 'p99 < 50 ms',
      verdict: p99 < 50 && verdictOf(target[1]) === 'met' ? 'met' : 'NOT met',
    },
  ];
}

export function deployRows(output: string): Row[] {
  const rows: Row[] = [];
  if (/^part 1:/m.test(output)) {
    const part = need('bench-deploy', output, 'part 1', /^part 1: (\d+) deploys .*?×([\d.]+)/m);
    const bound = num(
      need('bench-deploy', output, 'lower bound', /lower bound \(.*\): ([\d.]+) s/)[1],
    );
    const mode = (name: string) =>
      need(
        'bench-deploy',
        output,
        name,
        new RegExp(
          `${name}\\s+time-to-ready mean ([\\d.]+) s \\(max ([\\d.]+) s\\), overhead ([-\\d.]+) %`,
        ),
      );
    const kgd = mode('adaptive polling \\(kgd\\)');
    const ref = mode('fixed 10 s polling \\(reference\\)');
    const target = need(
      'bench-deploy',
      output,
      'target',
      /target: kgd overhead under 3 % -> (met|NOT met)/,
    );
    rows.push(
      {
        measure: `Deploy time-to-ready, ${part[1]} deploys, simulated durations x${part[2]}`,
        kgd: `mean ${kgd[1]} s (max ${kgd[2]} s), overhead ${kgd[3]} %`,
        baseline: `simulated lower bound ${fixed(bound)} s`,
        ratio: fixed(num(kgd[1]) / bound, 3),
        target: 'overhead < 3 %',
        verdict: verdictOf(target[1]),
      },
      {
        measure: 'Deploy time-to-ready, kgd vs fixed 10 s polling',
        kgd: `mean ${kgd[1]} s`,
        baseline: `10 s polling ${ref[1]} s (overhead ${ref[3]} %)`,
        ratio: fixed(num(kgd[1]) / num(ref[1]), 3),
        target: 'faster than polling',
        verdict: num(kgd[1]) < num(ref[1]) ? 'met' : 'NOT met',
      },
    );
  }
  if (/^part 2:/m.test(output)) {
    const part = need(
      'bench-deploy',
      output,
      'part 2',
      /^part 2: (\d+) purchases at once, ecs.createServers limited to (\d+)\/minute, durations ×([\d.]+)/m,
    );
    const all = need('bench-deploy', output, 'all ... ready', /all (\d+) ready in ([\d.]+) s/);
    const bound = need(
      'bench-deploy',
      output,
      'lower bound: ... makespan / bound',
      /lower bound: .* = ([\d.]+) s; makespan \/ bound = ([\d.]+)/,
    );
    const mem = need(
      'bench-deploy',
      output,
      'peak memory',
      /peak memory \(VmHWM\): (\d+) MB; CPU ([\d.]+) s \((\d+) ms per deployment\)/,
    );
    rows.push({
      measure: `${part[1]} purchases at once, server creation limited to ${part[2]}/min (x${part[3]})`,
      kgd: `all ${all[1]} ready in ${all[2]} s; peak memory ${mem[1]} MB, CPU ${mem[3]} ms/deploy`,
      baseline: `rate-limit bound ${bound[1]} s`,
      ratio: bound[2]!,
      target: '',
      verdict: '',
    });
  }
  if (rows.length === 0) throw new ParseError('bench-deploy: neither part 1 nor part 2 ran');
  return rows;
}

export function sshRows(output: string): Row[] {
  const size = need('bench-ssh', output, 'payload', /payload: (\d+) MiB/);
  const best = need(
    'bench-ssh',
    output,
    'best of',
    /best of (\d+):\s+scp\s+(\d+) MiB\/s.*?ssh2\s+(\d+) MiB\/s/,
  );
  const median = need(
    'bench-ssh',
    output,
    'median',
    /median:\s+scp\s+(\d+) MiB\/s.*?ssh2\s+(\d+) MiB\/s/,
  );
  const ratio = need(
    'bench-ssh',
    output,
    'ratio ssh2/scp',
    /ratio ssh2\/scp: (\d+)% \(best\), (\d+)% \(median\); target >= 90%: (met|NOT met)/,
  );
  return [
    {
      measure: `SSH upload of ${size[1]} MiB, best (median) of ${best[1]}`,
      kgd: `ssh2 ${best[3]} MiB/s (${median[2]})`,
      baseline: `OpenSSH scp ${best[2]} MiB/s (${median[1]})`,
      ratio: `${ratio[1]} % (${ratio[2]} %)`,
      target: '>= 90 % of scp',
      verdict: verdictOf(ratio[3]),
    },
  ];
}

export function ansibleRows(output: string): Row[] {
  const runs =
    /install phase of demo-license .*?, (\d+) runs each; (ansible-playbook \[core [^\]]+\])/.exec(
      output,
    );
  const m = need(
    'bench-ansible',
    output,
    'median install phase',
    /median install phase: ssh2 ([\d.]+) s, ansible ([\d.]+) s \(of which start-up ([\d.]+) s\)/,
  );
  return [
    {
      measure: `Install phase of demo-license, median of ${runs?.[1] ?? '?'}`,
      kgd: `remote adapter ${m[1]} s`,
      baseline: `${runs?.[2] ?? 'Ansible'} playbook ${m[2]} s (start-up ${m[3]} s)`,
      ratio: fixed(num(m[1]) / num(m[2]), 3),
      target: 'not slower than Ansible',
      verdict: num(m[1]) <= num(m[2]) ? 'met' : 'NOT met',
    },
  ];
}

/** A Markdown table: readable as text in a terminal and rendered in docs/performance.md. */
export function table(rows: Row[]): string {
  const head: Row = {
    measure: 'measure',
    kgd: 'kgd',
    baseline: 'baseline (same run)',
    ratio: 'kgd / baseline',
    target: 'target',
    verdict: '' as never,
  };
  const cells = (r: Row) => [r.measure, r.kgd, r.baseline, r.ratio, r.target, r.verdict || '-'];
  const all = [head, ...rows].map(cells);
  all[0]![5] = 'result';
  const widths = all[0]!.map((_, i) => Math.max(...all.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(all[0]!), line(widths.map((w) => '-'.repeat(w))), ...all.slice(1).map(line)].join(
    '\n',
  );
}
