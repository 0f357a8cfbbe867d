/**
 * Gateway fuzzer: thousands of mutated, malformed, unsigned, stale and replayed marketplace calls
 * of every activity, V1 and V2, against a real `kgd serve` on embedded PostgreSQL. Checks: no HTTP
 * 5xx, no crash, no row written by an unauthenticated or structurally refused call, no instance or
 * operation from an authenticated malformed one, and the right result code for every call (an
 * oracle written from the spec decides, from the wire bytes). Then the operator routes (admin
 * API, dashboard, /metrics, status pages) take `--operator-count` calls with and without tokens
 * and sessions, bad CSRF, hostile ids and queries, bad and oversized bodies: no 5xx
 * (scripts/fuzz/operator-calls.ts). Exits non-zero if a check fails.
 *
 * Usage: npx tsx scripts/fuzz-gateway.ts [--seed 1] [--count 10000] [--operator-count 3000]
 *          [--concurrency 16] [--keep] [--outcomes calls.jsonl]
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { build } from './build.js';
import { formatRows, unexpectedLogLines, verdict } from './fuzz/checks.js';
import { malformed, unstorable } from './fuzz/classes-malformed.js';
import { hostileValid, resigned, unknownInstance, valid } from './fuzz/classes-mixed.js';
import { mutatedAfterSigning, replayed, structural } from './fuzz/classes-refused.js';
import { stale, tampered, unsigned, wrongKey } from './fuzz/classes-signature.js';
import type { Builder, Env, FuzzCall } from './fuzz/model.js';
import { operatorReport, prepareOperatorEnv, runOperatorPhase } from './fuzz/operator-run.js';
import { createRng } from './fuzz/random.js';
import { createTally, printMismatches } from './fuzz/report.js';
import { openRowProbe, type RowProbe } from './fuzz/rows.js';
import { type Outcome, runPhase } from './fuzz/run.js';
import { type Services, startServices, waitFor } from './fuzz/service.js';
import {
  createRegistry,
  license,
  purchase,
  release,
  settlePurchases,
  settleReleases,
} from './fuzz/setup-calls.js';
import { createSender } from './fuzz/wire.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    count: { type: 'string', default: '10000' },
    'operator-count': { type: 'string', default: '3000' },
    concurrency: { type: 'string', default: '16' },
    /** Keep the temporary directory (database, logs) for a post-mortem. */
    keep: { type: 'boolean', default: false },
    /** Writes every call's class, detail, expected and actual code as JSON lines to this file. */
    outcomes: { type: 'string' },
  },
});
// The kgd processes run bin/kgd.js, that is dist/: bring it up to date with the sources.
build();
const seed = Number(values.seed);
const count = Number(values.count);
const concurrency = Number(values.concurrency);
const operatorCount = Number(values['operator-count']);
for (const [flag, v, min] of [
  ['--seed', seed, 0],
  ['--count', count, 200],
  ['--operator-count', operatorCount, 0],
  ['--concurrency', concurrency, 1],
] as const) {
  if (!Number.isInteger(v) || v < min) {
    console.error(`${flag}: expected a whole number of at least ${min}`);
    process.exit(2);
  }
}

const out = (line: string) => console.log(line);
const keyRng = createRng(seed, -1);
const keys = [`fuzz-key-${keyRng.hex(24)}`, `fuzz-old-key-${keyRng.hex(24)}`];
const workDir = mkdtempSync(path.join(tmpdir(), 'kgd-fuzz-'));
chmodSync(workDir, 0o755); // embedded PostgreSQL runs as the OS user postgres

/** The call budget: set-up purchases, then unauthenticated, malformed and mixed phases. */
const per = (share: number, min: number) => Math.max(min, Math.round(count * share));
const setup = {
  liveV1: per(0.006, 4),
  liveV2: per(0.006, 4),
  targets: per(0.003, 2),
  released: per(0.003, 2),
  licenses: per(0.002, 2),
};
const setupCalls =
  setup.liveV1 + setup.liveV2 + setup.targets + 2 * setup.released + setup.licenses;
const rest = count - setupCalls;
const unauthCalls = Math.round(rest * 0.45);
const replays = Math.round(unauthCalls * 0.1);
const malformedCalls = Math.round(rest * 0.2);
const mixedCalls = rest - unauthCalls - malformedCalls - replays;

const schedule = createRng(seed, -2);
const draw = (n: number, mix: [number, Builder][]) =>
  Array.from({ length: n }, () => schedule.weighted(mix));

let s: Services | undefined;
let probe: RowProbe | undefined;
let sender: ReturnType<typeof createSender> | undefined;
const tally = createTally();
const reg = createRegistry();
let lastSigned = 0;
const originals: (FuzzCall | undefined)[] = [];
const env: Env = {
  path: '/koogallery/produce',
  keys,
  signAt() {
    lastSigned = Math.max(Date.now(), lastSigned + 1);
    return new Date(lastSigned);
  },
  pools: { v1Live: [], v2Live: [], releaseTargets: [], released: [], v1Orders: [], v2Orders: [] },
  oracle: {
    keys,
    v1SkewMs: 300_000,
    v2SkewMs: 60_000,
    maxBodyBytes: 65_536,
    standing: (id) => reg.standing.get(id),
  },
  originals: [],
};

let index = 0;
async function phase(name: string, builders: Builder[], keep?: (c: FuzzCall, o: Outcome) => void) {
  const started = performance.now();
  await runPhase({
    phase: name,
    builders,
    start: index,
    seed,
    env,
    concurrency,
    send: sender!.send,
    onOutcome: (o, c) => {
      tally.add(o);
      keep?.(c, o);
    },
  });
  index += builders.length;
  out(
    `phase ${name}: ${builders.length} calls in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

const quiet = () =>
  waitFor(
    'the engine to finish every open operation',
    async () => (await probe!.openOperations()) === 0,
    90_000,
  );
let exitCode = 1;

try {
  s = await startServices({ workDir, keys });
  probe = await openRowProbe(s.databaseUrl());
  sender = createSender(s.url, concurrency, 15_000);
  out(
    `fuzz-gateway: seed ${seed}, ${count} calls, concurrency ${concurrency}, kgd serve at ${s.url}`,
  );
  const t0 = performance.now();

  const plan: [number, 'v1' | 'v2' | 'mixed', 'live' | 'release-target' | 'to-release'][] = [
    [setup.liveV1, 'v1', 'live'],
    [setup.liveV2, 'v2', 'live'],
    [setup.targets, 'mixed', 'release-target'],
    [setup.released, 'mixed', 'to-release'],
  ];
  const purchases = plan.flatMap(([n, protocol, pool]) =>
    Array.from(
      { length: n },
      (_, i) =>
        ({ protocol: protocol === 'mixed' ? (i % 2 ? 'v2' : 'v1') : protocol, pool }) as const,
    ),
  );
  await phase('set-up', [
    ...purchases.map((p, slot) => purchase(p.protocol, p.pool, reg, slot)),
    ...Array.from({ length: setup.licenses }, () => license),
  ]);
  settlePurchases(reg, env);
  await phase(
    'set-up releases',
    Array.from({ length: setup.released }, (_, i) => release(i, reg)),
  );
  settleReleases(reg, env);
  if (env.pools.v1Live.length === 0 || env.pools.v2Live.length === 0)
    throw new Error('the set-up purchases were refused: nothing to fuzz against');

  // Authenticated calls answered now are replayed in the next phase, well inside V2's 60 s.
  await quiet();
  const originalMix: [number, Builder][] = [
    [50, valid],
    [30, malformed],
    [20, unknownInstance],
  ];
  await phase('replay originals', draw(replays, originalMix), (c, o) => {
    // Only calls the endpoint recorded have a remembered nonce; kept in call order (the seed's).
    if (!['000001', '000005', 'none'].includes(o.code) && c.expect.authentic === true && !c.skewed)
      originals[o.index] = c;
  });
  env.originals.push(...originals.filter((c): c is FuzzCall => c !== undefined));
  await quiet();

  const unauthMark = await probe.mark();
  const countsBefore = await probe.counts();
  const unauthMix: [number, Builder][] = [
    [12, unsigned],
    [12, wrongKey],
    [12, tampered],
    [12, stale],
    [12, structural],
    [40, mutatedAfterSigning],
  ];
  await phase('unauthenticated', [
    ...Array.from({ length: replays }, () => replayed),
    ...draw(unauthCalls - replays, unauthMix),
  ]);
  const unauthWritten = await probe.writtenSince(unauthMark);
  const countsAfter = await probe.counts();

  const malformedMark = await probe.mark();
  const malformedStart = tally.outcomes().length;
  await phase(
    'authenticated malformed',
    draw(malformedCalls, [
      [90, malformed],
      [10, unstorable],
    ]),
  );
  const malformedWritten = await probe.writtenSince(malformedMark);
  const stored = await probe.storedCodesSince(malformedMark);
  const answered2 = tally
    .outcomes()
    .slice(malformedStart)
    .filter((o) => o.code === '000002').length;

  await phase(
    'mixed authenticated',
    draw(mixedCalls, [
      [30, valid],
      [15, unknownInstance],
      [20, hostileValid],
      [35, resigned],
    ]),
  );
  const elapsed = (performance.now() - t0) / 1000;

  // Last: operator actions (release, rerun, sweep) change what the marketplace phases count on.
  const operatorEnv = await prepareOperatorEnv(s);
  const operators = await runOperatorPhase({
    url: s.url,
    env: operatorEnv,
    seed,
    start: index,
    count: operatorCount,
    concurrency,
  });
  out(`phase operator routes: ${operatorCount} calls in ${operators.seconds.toFixed(1)} s`);

  const alive = s.kgd.alive();
  const healthz = await fetch(`${s.url}/healthz`).then(
    (r) => r.status,
    (e: Error) => e.message,
  );
  await probe.close().catch(() => {});
  const { kgdExit } = await s.stop();
  const unexpected = unexpectedLogLines(s.kgdLog);

  out('');
  tally.print(out);
  out('');
  out(`rows before the unauthenticated phase: ${formatRows(countsBefore)}`);
  out(`rows after it:                         ${formatRows(countsAfter)}`);
  out(`rows written during it:                ${formatRows(unauthWritten)}`);
  out(
    `rows written by authenticated malformed calls: ${formatRows(malformedWritten)}; inbox answers kept: ${JSON.stringify(stored)}`,
  );

  out('');
  const operatorChecks = operatorReport(operators.answers, out);
  const checks = verdict({
    tally,
    alive,
    healthz,
    unexpected,
    kgdExit,
    refused: { written: unauthWritten, before: countsBefore, after: countsAfter },
    malformed: { written: malformedWritten, stored, answered000002: answered2 },
  }).concat(operatorChecks);
  const all = tally.outcomes();
  out('');
  out(`checks (${all.length} calls in ${elapsed.toFixed(1)} s):`);
  for (const [name, ok, info] of checks) out(`  ${ok ? 'PASS' : 'FAIL'}  ${name} (${info})`);
  if (tally.mismatches().length > 0) {
    out('');
    out('first mismatches, one per kind, with the exact request:');
    printMismatches(tally.mismatches(), 8, out);
  }
  for (const o of tally.selfChecks().slice(0, 5))
    out(`oracle disagreement #${o.index} ${o.cls} ${o.detail}: ${o.selfCheck}`);
  for (const l of unexpected.slice(0, 5)) out(`log: ${l.slice(0, 300)}`);
  if (values.outcomes) {
    const lines = [...all]
      .sort((a, b) => a.index - b.index)
      .map(({ wire: _w, ...o }) => JSON.stringify(o));
    writeFileSync(values.outcomes, `${lines.join('\n')}\n`);
    out(`every call's outcome: ${values.outcomes}`);
  }
  exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
} catch (err) {
  console.error(`fuzz-gateway could not run: ${(err as Error).stack}`);
  if (s) console.error(s.kgd.tail().slice(-3000));
} finally {
  sender?.close();
  await probe?.close().catch(() => {});
  await s?.stop();
  if (values.keep) out(`kept ${workDir}`);
  else rmSync(workDir, { recursive: true, force: true });
}
process.exit(exitCode);
