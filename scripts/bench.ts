/**
 * `npm run bench`: every benchmark of the project, one after the other (never two at once: they
 * would measure each other), each as its own process exactly as one would run it by hand, then one
 * table of kgd against the baseline measured in the same run:
 *
 * - gateway throughput and p99 against a bare Hono route (scripts/bench-gateway.ts);
 * - deploy time-to-ready against the simulated lower bound and against 10-second polling, and
 *   200 purchases against the server-creation rate limit with peak memory (scripts/bench-deploy.ts);
 * - SSH upload against OpenSSH scp (scripts/spikes/bench-ssh.ts);
 * - the install phase against an Ansible playbook, where Debian's ansible is installed
 *   (scripts/spikes/bench-ansible.ts).
 *
 * Usage: npx tsx scripts/bench.ts [--quick] [--only gateway,deploy,ssh,ansible] [--write-doc]
 *   [--gateway-seconds 20] [--time-scale 1] [--deploys 3] [--purchases 200] [--create-rate 100]
 *   [--ssh-size-mb 200] [--ssh-runs 3] [--ansible-runs 5]
 * Needs root (simulated servers), openssh-server (bench-ssh) and, optionally, ansible.
 * --write-doc replaces the generated section of docs/performance.md with this run's results.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ansibleRows, deployRows, gatewayRows, type Row, sshRows, table } from './bench/parse.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', default: 'gateway,deploy,ssh,ansible' },
    'write-doc': { type: 'boolean', default: false },
    'gateway-seconds': { type: 'string' },
    'time-scale': { type: 'string' },
    deploys: { type: 'string' },
    purchases: { type: 'string' },
    'create-rate': { type: 'string' },
    'ssh-size-mb': { type: 'string' },
    'ssh-runs': { type: 'string' },
    'ansible-runs': { type: 'string' },
  },
});
const root = path.resolve(import.meta.dirname, '..');
/** --quick: the same measurements, smaller, to check the chain in a few minutes. */
const setting = (name: keyof typeof values, full: string, quick: string) =>
  String(values[name] ?? (values.quick ? quick : full));

interface Bench {
  name: string;
  args: string[];
  rows: (output: string) => Row[];
  /** Exit code meaning "cannot run here" (the reason is the output's last line). */
  skipCode?: number;
}

const benches: Bench[] = [
  {
    name: 'gateway',
    args: ['scripts/bench-gateway.ts', '--seconds', setting('gateway-seconds', '20', '5')],
    rows: gatewayRows,
  },
  {
    name: 'deploy',
    args: [
      'scripts/bench-deploy.ts',
      ...['--time-scale', setting('time-scale', '1', '0.2')],
      ...['--deploys', setting('deploys', '3', '2')],
      ...['--purchases', setting('purchases', '200', '50')],
      ...['--create-rate', setting('create-rate', '100', '50')],
    ],
    rows: deployRows,
  },
  {
    name: 'ssh',
    args: [
      'scripts/spikes/bench-ssh.ts',
      ...['--size-mb', setting('ssh-size-mb', '200', '50')],
      ...['--runs', setting('ssh-runs', '3', '2')],
    ],
    rows: sshRows,
  },
  {
    name: 'ansible',
    args: ['scripts/spikes/bench-ansible.ts', '--runs', setting('ansible-runs', '5', '2')],
    rows: ansibleRows,
    skipCode: 3,
  },
];

const only = new Set(values.only.split(',').map((s) => s.trim()));
const unknown = [...only].filter((n) => !benches.some((b) => b.name === n));
if (unknown.length > 0) {
  console.error(
    `--only: unknown benchmark(s) ${unknown.join(', ')} (gateway, deploy, ssh, ansible)`,
  );
  process.exit(2);
}

// The generated section of docs/performance.md (declared before the run uses them).
const begin = '<!-- bench:begin (written by npx tsx scripts/bench.ts --write-doc) -->';
const end = '<!-- bench:end -->';

const started = new Date();
const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}, ${process.platform}`;
const rows: Row[] = [];
const commands: string[] = [];
const notes: string[] = [];
const outputs: { name: string; output: string }[] = [];
let failed = false;

for (const bench of benches.filter((b) => only.has(b.name))) {
  const command = `npx tsx ${bench.args.join(' ')}`;
  commands.push(command);
  const load = loadavg()[0]!.toFixed(2);
  process.stderr.write(`\n== ${command} (load average ${load})\n`);
  const t0 = Date.now();
  const { code, output } = await run(bench.args);
  const took = `${((Date.now() - t0) / 1000).toFixed(0)} s`;
  outputs.push({ name: command, output });
  notes.push(
    `${bench.name}: ${took}, load average ${load} before, ${loadavg()[0]!.toFixed(2)} after`,
  );
  if (bench.skipCode !== undefined && code === bench.skipCode) {
    notes.push(`${bench.name} skipped: ${output.trim().split('\n').at(-1)}`);
    continue;
  }
  try {
    if (code !== 0) throw new Error(`${command} exited with ${code}`);
    rows.push(...bench.rows(output));
  } catch (err) {
    failed = true;
    notes.push(`${bench.name} FAILED: ${(err as Error).message}`);
  }
}

const report = [
  `Run ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine}.`,
  '',
  table(rows),
  '',
  'Commands (each its own process, one after the other):',
  '',
  ...commands.map((c) => `    ${c}`),
  '',
  ...notes.map((n) => `- ${n}`),
].join('\n');
process.stdout.write(`\n${report}\n`);
if (values['write-doc']) writeDoc(report, outputs);
process.exitCode = failed ? 1 : 0;

/** Runs one benchmark, its output shown live (on stderr) and kept for parsing. */
function run(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('npx', ['tsx', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (d: Buffer) => {
      output += d;
      process.stderr.write(d);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    // npm's warnings about the machine's npmrc are not the benchmark's output.
    const own = (text: string) =>
      text
        .split('\n')
        .filter((l) => !l.startsWith('npm warn'))
        .join('\n');
    child.on('close', (code) => resolve({ code, output: own(output) }));
  });
}

/** Replaces the generated section of docs/performance.md; the prose around it is kept. */
function writeDoc(report: string, raw: { name: string; output: string }[]) {
  const file = path.join(root, 'docs/performance.md');
  const doc = readFileSync(file, 'utf8');
  const from = doc.indexOf(begin);
  const to = doc.indexOf(end);
  if (from === -1 || to < from) {
    console.error(`${file}: no generated section (${begin} ... ${end}): not written`);
    process.exitCode = 1;
    return;
  }
  const details = raw.map(
    (r) =>
      `<details><summary><code>${r.name}</code></summary>\n\n\`\`\`\n${r.output.trim()}\n\`\`\`\n</details>`,
  );
  const section = `${begin}\n${report}\n\nFull output of each benchmark:\n\n${details.join('\n\n')}\n${end}`;
  writeFileSync(file, doc.slice(0, from) + section + doc.slice(to + end.length));
  process.stderr.write(`\nwritten: ${file}\n`);
}
