/**
 * Gateway benchmark: a mixed, signed KooGallery load against `kgd serve` on embedded PostgreSQL,
 * and in the same run the same load against a bare Hono route answering a constant signed body
 * (the baseline: HTTP + signing cost without any durable work). Prints throughput, p50/p99 and the
 * ratios. Usage: npx tsx scripts/bench-gateway.ts [--seconds 20] [--concurrency 32]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { v2Signature } from '../src/marketplace/protocol/signatures.js';
import { build } from './build.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '32' },
    'log-level': { type: 'string', default: 'info' },
    'engine-concurrency': { type: 'string', default: '20' },
    /** Writes a CPU profile of kgd serve into this directory. */
    profile: { type: 'string' },
  },
});
// The kgd processes run bin/kgd.js, that is dist/: bring it up to date with the sources.
build();
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);
const KEY = `bench-key-${randomBytes(8).toString('hex')}`;
const root = path.resolve(import.meta.dirname, '..');

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function waitHealthy(url: string, child: ChildProcess, output: () => string) {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited:\n${output()}`);
    try {
      const res = await fetch(url);
      if (res.status < 500) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`not healthy: ${url}`);
}

function start(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const errors = new Map<string, number>();
  const collect = (d: Buffer) => {
    out = (out + d).slice(-20_000);
    for (const line of d.toString().split('\n')) {
      if (!line.includes('"level":"error"')) continue;
      const msg =
        /"err":"([^"]{0,160})/.exec(line)?.[1] ??
        /"msg":"([^"]{0,160})/.exec(line)?.[1] ??
        line.slice(0, 160);
      errors.set(msg, (errors.get(msg) ?? 0) + 1);
    }
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  return { child, output: () => out, errors };
}

interface Result {
  requests: number;
  durable: number;
  errors: number;
  latencies: number[];
  codes: Map<string, number>;
  elapsedMs: number;
}

/** One marketplace call of the mix: new purchases, resends, renewals, status polls. */
function nextCall(state: { orders: string[]; instances: string[]; n: number }) {
  const r = Math.random();
  let body: Record<string, unknown>;
  if (r < 0.35 || state.orders.length === 0) {
    const orderId = `BENCH-${process.pid}-${state.n++}`;
    state.orders.push(orderId);
    body = {
      activity: 'newInstance',
      orderId,
      orderLineId: `${orderId}-000001`,
      businessId: randomBytes(6).toString('hex'),
      testFlag: '0',
    };
  } else if (r < 0.5) {
    const orderId = state.orders[Math.floor(Math.random() * state.orders.length)]!;
    body = {
      activity: 'newInstance',
      orderId,
      orderLineId: `${orderId}-000001`,
      businessId: randomBytes(6).toString('hex'),
      testFlag: '0',
    };
  } else if (r < 0.75 && state.instances.length > 0) {
    const instanceId = state.instances[Math.floor(Math.random() * state.instances.length)]!;
    const renewal = Math.random() < 0.7 ? `R-${state.n++}` : 'R-RESENT';
    body = {
      activity: 'refreshInstance',
      scene: 'RENEWAL',
      orderId: renewal,
      orderLineId: `${renewal}-000001`,
      instanceId,
      expireTime: '20271231000000',
      testFlag: '0',
    };
  } else {
    const ids = state.instances.length > 0 ? state.instances.slice(-3).join(',') : 'kgi-none';
    body = { activity: 'queryInstance', instanceId: ids, testFlag: '0' };
  }
  const raw = JSON.stringify(body);
  const nonce = randomBytes(16).toString('hex');
  const timestamp = String(Date.now());
  const signature = v2Signature(KEY, nonce, timestamp, raw);
  return {
    raw,
    path: `?signature=${signature}&timestamp=${timestamp}&nonce=${nonce}`,
    durable: body.activity !== 'queryInstance',
  };
}

async function load(target: string): Promise<Result> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const url = new URL(target);
  const state = { orders: [] as string[], instances: [] as string[], n: 0 };
  const result: Result = {
    requests: 0,
    durable: 0,
    errors: 0,
    latencies: [],
    codes: new Map(),
    elapsedMs: 0,
  };
  const end = Date.now() + seconds * 1000;
  const started = performance.now();
  const worker = async () => {
    while (Date.now() < end) {
      const call = nextCall(state);
      const t0 = performance.now();
      try {
        const text = await new Promise<string>((resolve, reject) => {
          const req = http.request(
            {
              agent,
              host: url.hostname,
              port: url.port,
              path: url.pathname + call.path,
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                'content-length': Buffer.byteLength(call.raw),
              },
            },
            (res) => {
              let data = '';
              res.on('data', (d) => (data += d));
              res.on('end', () => resolve(data));
            },
          );
          req.on('error', reject);
          req.end(call.raw);
        });
        result.latencies.push(performance.now() - t0);
        const answer = JSON.parse(text) as { resultCode: string; instanceId?: string };
        result.codes.set(answer.resultCode, (result.codes.get(answer.resultCode) ?? 0) + 1);
        result.requests++;
        if (call.durable && (answer.resultCode === '000000' || answer.resultCode === '000004'))
          result.durable++;
        if (
          answer.instanceId &&
          state.instances.length < 5000 &&
          !state.instances.includes(answer.instanceId)
        )
          state.instances.push(answer.instanceId);
      } catch {
        result.errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  result.elapsedMs = performance.now() - started;
  agent.destroy();
  return result;
}

/** One signed status call on a new connection (as the marketplace makes them); its milliseconds. */
async function timedCall(port: number): Promise<number> {
  const raw = JSON.stringify({ activity: 'queryInstance', instanceId: 'kgi-none', testFlag: '0' });
  const nonce = randomBytes(16).toString('hex');
  const timestamp = String(Date.now());
  const signature = v2Signature(KEY, nonce, timestamp, raw);
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const req = http.request(
      {
        agent: false,
        host: '127.0.0.1',
        port,
        path: `/koogallery/produce?signature=${signature}&timestamp=${timestamp}&nonce=${nonce}`,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(raw) },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(raw);
  });
  return performance.now() - t0;
}

/**
 * A slow-loris flood: `n` connections that never send a byte, 50 from each of several loopback
 * addresses (within the per-address cap), each reopened when the server sheds it. Returns stop().
 */
function idleFlood(port: number, n: number): () => void {
  let stopped = false;
  const sockets = new Set<net.Socket>();
  const open = (i: number) => {
    if (stopped) return;
    const s = net.connect({ host: '127.0.0.1', port, localAddress: `127.0.0.${10 + (i % 20)}` });
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => {
      sockets.delete(s);
      setImmediate(() => open(i));
    });
  };
  for (let i = 0; i < n; i++) open(i);
  return () => {
    stopped = true;
    for (const s of sockets) s.destroy();
  };
}

async function timedCalls(port: number, n: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) ms.push(await timedCall(port));
  return ms.sort((a, b) => a - b);
}

function pct(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function summary(name: string, r: Result) {
  const sorted = [...r.latencies].sort((a, b) => a - b);
  return {
    name,
    requests: r.requests,
    throughput: r.requests / (r.elapsedMs / 1000),
    durablePerSecond: r.durable / (r.elapsedMs / 1000),
    p50: pct(sorted, 50),
    p99: pct(sorted, 99),
    errors: r.errors,
    codes: Object.fromEntries(r.codes),
  };
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'kgd-bench-'));
const kgdPort = await freePort();
const basePort = await freePort();
// The cloud and marketplace are remote in production: the simulator runs as its own process
// (the orders of this load do not exist in its order book, so each deploy fails fast).
const simPort = await freePort();
const sim = start(
  [
    'bin/kgd.js',
    'simulator',
    '--port',
    String(simPort),
    '--hosts',
    'recording',
    '--time-scale',
    '0.01',
  ],
  {
    KGD_LOG_LEVEL: 'error',
  },
);
const simUrl = `http://127.0.0.1:${simPort}`;
const kgd = start(
  [
    ...(values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : []),
    'bin/kgd.js',
    'serve',
  ],
  {
    KGD_DATA_DIR: dataDir,
    KGD_PORT: String(kgdPort),
    KGD_HOST: '127.0.0.1',
    KGD_MARKETPLACE_KEYS: KEY,
    KGD_LOG_LEVEL: values['log-level']!,
    KGD_DB_POOL_SIZE: process.env.KGD_DB_POOL_SIZE ?? '16',
    KGD_ENGINE_CONCURRENCY: values['engine-concurrency']!,
    // One load generator stands in for the whole marketplace: no per-address connection cap.
    KGD_HTTP_MAX_CONNECTIONS_PER_ADDRESS: '0',
    KGD_CLOUD_AK: 'KGDSIMULATORAKEY0001',
    KGD_CLOUD_SK: 'kgd-simulator-secret-key-not-for-real-use',
    KGD_CLOUD_PROJECT_ID: '6b67642d73696d756c61746f72000001',
    KGD_CLOUD_ENDPOINT: simUrl,
    KGD_MARKETPLACE_API_URL: simUrl,
  },
);
const baseline = start(
  ['--import', 'tsx', 'scripts/bench-baseline-server.ts', String(basePort), KEY],
  {},
);
try {
  await waitHealthy(`${simUrl}/sim/inventory`, sim.child, sim.output);
  await waitHealthy(`http://127.0.0.1:${kgdPort}/healthz`, kgd.child, kgd.output);
  await waitHealthy(`http://127.0.0.1:${basePort}/healthz`, baseline.child, baseline.output);
  console.log(
    `load: ${concurrency} concurrent clients, ${seconds} s per target, mix 35% new / 15% resent new / 25% renewals (30% resent) / 25% status polls, all V2-signed`,
  );
  // Warm-up both (JIT, pools), then measure the baseline and the service in the same run.
  const warm = seconds;
  Object.assign(values, { seconds: '2' });
  await load(`http://127.0.0.1:${basePort}/koogallery/produce`);
  await load(`http://127.0.0.1:${kgdPort}/koogallery/produce`);
  Object.assign(values, { seconds: String(warm) });
  const b = summary(
    'bare Hono, constant signed answer',
    await load(`http://127.0.0.1:${basePort}/koogallery/produce`),
  );
  const k = summary(
    'kgd serve, embedded PostgreSQL',
    await load(`http://127.0.0.1:${kgdPort}/koogallery/produce`),
  );
  const row = (s: ReturnType<typeof summary>) =>
    `${s.name.padEnd(36)} ${s.throughput.toFixed(0).padStart(7)} req/s ${s.durablePerSecond.toFixed(0).padStart(7)} durable/s  p50 ${s.p50.toFixed(2).padStart(6)} ms  p99 ${s.p99.toFixed(2).padStart(6)} ms  errors ${s.errors}`;
  console.log(row(b));
  console.log(row(k));
  console.log(`result codes (kgd): ${JSON.stringify(k.codes)}`);
  if (kgd.errors.size > 0) {
    console.log('errors logged by kgd serve:');
    for (const [msg, n] of [...kgd.errors].sort((a, b) => b[1] - a[1]).slice(0, 8))
      console.log(`  ${n} × ${msg}`);
  }
  console.log(
    `ratio kgd/baseline: throughput ${(k.throughput / b.throughput).toFixed(3)}, p99 ${(k.p99 / b.p99).toFixed(2)}x`,
  );
  console.log(
    `target: >= 1000 durable notifications/s and p99 < 50 ms -> ${k.durablePerSecond >= 1000 && k.p99 < 50 ? 'met' : 'NOT met'}`,
  );

  // The connection flood (security issue): signed calls timed while 1,000 idle connections are
  // held open, against the same calls just before. Goal: none past 1 s.
  const calm = await timedCalls(kgdPort, 40);
  const stopFlood = idleFlood(kgdPort, 1000);
  let flooded: number[];
  try {
    flooded = await timedCalls(kgdPort, 40);
  } finally {
    stopFlood();
  }
  console.log(
    `signed call, new connection: p50 ${pct(calm, 50).toFixed(2)} ms, max ${calm.at(-1)!.toFixed(2)} ms; with 1,000 idle connections held open: p50 ${pct(flooded, 50).toFixed(2)} ms, max ${flooded.at(-1)!.toFixed(2)} ms -> goal max < 1000 ms ${flooded.at(-1)! < 1000 ? 'met' : 'NOT met'}`,
  );
} finally {
  baseline.child.kill('SIGTERM');
  sim.child.kill('SIGTERM');
  kgd.child.kill('SIGTERM');
  await new Promise((r) => kgd.child.once('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
}
