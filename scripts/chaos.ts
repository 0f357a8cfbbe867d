/**
 * Chaos run: purchases through the simulated marketplace (resent, duplicated, some renewed before
 * they are ready, some released during install) while the simulated cloud fails at random (5xx,
 * throttling, busy and transient codes, sold-out creates in the answer or the job, EIPs left
 * behind by server deletes, dropped SSH connections; deletes are asynchronous throughout) and the
 * service is SIGKILLed every 5–15 s and restarted. A third of the way in, hostile buyers order
 * too: servers the service must never reach (loopback, metadata, private addresses) and servers
 * that stall uploads, one of them released while it hangs (scripts/chaos/hostile.ts). Then the
 * required outcome is checked (scripts/chaos/checks.ts).
 *
 * Usage: npx tsx scripts/chaos.ts [--purchases 100] [--replicas 1|2] [--seed 1] [--keep] [--alerts]
 *   --alerts: the replicas send their alerts to a local webhook receiver that prints each one as
 *   the faults raise it (or to KGD_ALERT_WEBHOOK_URL when set, with KGD_ALERT_WEBHOOK_SECRET);
 *   the run ends with the alerts raised, by kind.
 *   --replicas 2: two replicas on one shared PostgreSQL (127.0.0.1:5432, a fresh database), the
 *   marketplace alternating between them, one killed for good halfway.
 *   --keep: keep the logs and data (and the shared database), with secrets.env (0600) holding the
 *   run's keys, and print the scripts/secrets-scan.ts command that searches them.

 * Needs root (the simulated servers run in Linux namespaces).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { Inventory } from '../src/simulator/cloud/inspection.js';
import type { LedgerEntry, Violation } from '../src/simulator/marketplace/ledger.js';
import { build } from './build.js';
import { alertTally, startAlertReceiver } from './chaos/alerts.js';
import { type Purchase, runChecks } from './chaos/checks.js';
import { prepareHostileBuyers } from './chaos/hostile.js';
import {
  checkLicenseUploads,
  type LicenseEvent,
  sendLicenseEvent,
} from './chaos/license-events.js';
import {
  freePort,
  kgd,
  killAll,
  killReplica,
  type Replica,
  startFront,
  startReplica,
  waitUntil,
} from './chaos/processes.js';

const { values } = parseArgs({
  options: {
    purchases: { type: 'string', default: '100' },
    replicas: { type: 'string', default: '1' },
    seed: { type: 'string', default: '1' },
    'time-scale': { type: 'string', default: '0.02' },
    'kill-min': { type: 'string', default: '5' },
    'kill-max': { type: 'string', default: '15' },
    keep: { type: 'boolean', default: false },
    alerts: { type: 'boolean', default: false },
    /** Loopback addresses for the simulated EIPs (another simulator on the machine may hold the default). */
    'eip-pool': { type: 'string' },
  },
});
// The kgd processes run bin/kgd.js, that is dist/: bring it up to date with the sources.
build();
const purchasesWanted = Number(values.purchases);
const replicaCount = Number(values.replicas);
let seed = Number(values.seed);
/** Deterministic choices (which purchases are resent, renewed early, released; kill times). */
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};
const between = (a: number, b: number) => a + random() * (b - a);

const work = mkdtempSync(path.join(tmpdir(), 'kgd-chaos-'));
chmodSync(work, 0o755);
const masterKey = randomBytes(32);
const marketplaceKey = `chaos-${randomBytes(8).toString('hex')}`;
const started = Date.now();
const t = () => `${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s`;
const say = (line: string) => console.log(`${t()}  ${line}`);

// Shared PostgreSQL for two replicas; embedded (in the first replica's data dir) for one.
const adminUrl = process.env.KGD_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const sharedDb = replicaCount > 1 ? `kgd_chaos_${randomBytes(4).toString('hex')}` : undefined;
async function admin(sql: string) {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}
const sharedUrl = sharedDb
  ? Object.assign(new URL(adminUrl), { pathname: `/${sharedDb}` }).toString()
  : undefined;

function embeddedUrl(dataDir: string) {
  const password = readFileSync(path.join(dataDir, 'pg.password'), 'utf8').trim();
  return `postgresql://kgd:${encodeURIComponent(password)}@localhost/kgd?host=${encodeURIComponent(path.join(dataDir, 'pg-run'))}`;
}

const hostile = await prepareHostileBuyers();

async function main() {
  if (sharedDb) await admin(`CREATE DATABASE ${sharedDb}`);
  // The simulated cloud, failing at random.
  const faults = {
    rules: [
      // 400 Ecs.0501: a server delete refused while its system disk downloads (minutes).
      { api: 'ecs.deleteServers', fault: { kind: 'busy', answer: 'Ecs.0501' }, rate: 0.1 },
      // 500 "stream control" on the VPC API, as it answers under load during teardowns.
      { api: 'vpc.*', fault: { kind: 'busy', answer: 'stream-control' }, rate: 0.02 },
      { api: '*', fault: { kind: 'server-error' }, rate: 0.1 },
      { api: '*', fault: { kind: 'throttle' }, rate: 0.05 },
      // 501 Ecs.0603 / 409 VPC.0512: busy, retried after a minute.
      { api: '*', fault: { kind: 'busy' }, rate: 0.02 },
    ],
    // Sold out in the create answer (400 Ecs.0018/0319/0044) or in the job (the reason on the
    // job, the sub-job or only its errorcode_message), at random; a failed job may leave an
    // ERROR server.
    soldOutRate: 0.03,
    // A server delete leaves its EIP behind, to be deleted on its own.
    eipLeftRate: 0.2,
    sshDropRate: 0.02,
    quotas: {
      instances: 1000,
      cores: 4000,
      ramMb: 8_192_000,
      vpcs: 1000,
      subnets: 1000,
      securityGroups: 1000,
      securityGroupRules: 10_000,
      publicIps: 1000,
    },
  };
  writeFileSync(path.join(work, 'faults.json'), JSON.stringify(faults));
  const simPort = await freePort();
  const sim = kgd(
    [
      'simulator',
      '--port',
      String(simPort),
      '--time-scale',
      values['time-scale']!,
      '--eip-pool',
      values['eip-pool'] ?? `127.${40 + replicaCount}.0.0/16`,
      '--data-dir',
      path.join(work, 'sim'),
      '--faults',
      path.join(work, 'faults.json'),
      '--templates',
      'templates',
      '--seed',
      String(seed),
    ],
    { KGD_LOG_LEVEL: 'warn' },
    path.join(work, 'simulator.log'),
  );
  const simUrl = `http://127.0.0.1:${simPort}`;
  const fallbackUrl = `http://localhost:${simPort}`;
  await waitUntil('the simulator', async () => (await fetch(`${simUrl}/sim/inventory`)).ok, 60_000);

  const replicas: Replica[] = [];
  for (let i = 0; i < replicaCount; i++) {
    const port = await freePort();
    replicas.push({
      name: `chaos-${String.fromCharCode(97 + i)}`,
      port,
      url: `http://127.0.0.1:${port}`,
      child: undefined,
      starts: 0,
      kills: 0,
      retired: false,
    });
  }
  // Every replica hands out status-page URLs under the one address the marketplace calls: a resend
  // answered by another replica must carry the same access information.
  const frontPort = await freePort();
  const alertReceiver =
    values.alerts && !process.env.KGD_ALERT_WEBHOOK_URL ? await startAlertReceiver(say) : undefined;
  const alertUrl = alertReceiver?.url ?? process.env.KGD_ALERT_WEBHOOK_URL;
  const alertEnv: Record<string, string> =
    values.alerts && alertUrl
      ? {
          KGD_ALERT_WEBHOOK_URL: alertUrl,
          KGD_ALERT_MIN_SEVERITY: 'info',
          // Short, so the run shows resolves too.
          KGD_ALERT_RESOLVE_AFTER_MINUTES: '1',
          ...(process.env.KGD_ALERT_WEBHOOK_SECRET
            ? { KGD_ALERT_WEBHOOK_SECRET: process.env.KGD_ALERT_WEBHOOK_SECRET }
            : {}),
        }
      : {};
  const envOf = (r: Replica): Record<string, string> => ({
    KGD_PUBLIC_URL: `http://127.0.0.1:${frontPort}`,
    KGD_DATA_DIR: path.join(work, r.name),
    KGD_MASTER_KEY: masterKey.toString('base64'),
    KGD_MARKETPLACE_KEYS: marketplaceKey,
    KGD_CLOUD_AK: 'KGDSIMULATORAKEY0001',
    KGD_CLOUD_SK: 'kgd-simulator-secret-key-not-for-real-use',
    KGD_CLOUD_PROJECT_ID: '6b67642d73696d756c61746f72000001',
    KGD_CLOUD_ENDPOINT: simUrl,
    KGD_MARKETPLACE_API_URL: simUrl,
    // The same simulator under another name: the upload API's faults can spare it.
    KGD_MARKETPLACE_API_FALLBACK_URL: fallbackUrl,
    KGD_EXECUTOR_ID: r.name,
    KGD_REPLICA_TIMEOUT_SECONDS: '6',
    KGD_LOG_LEVEL: 'info',
    KGD_TEMPLATES_DIR: hostile.templatesDir,
    ...alertEnv,
    ...(sharedUrl ? { DATABASE_URL: sharedUrl } : {}),
  });
  if (values.keep) {
    // What scripts/secrets-scan.ts needs to know which values to search for (owner-only).
    const secretNames = ['KGD_MASTER_KEY', 'KGD_MARKETPLACE_KEYS', 'KGD_CLOUD_AK', 'KGD_CLOUD_SK'];
    const env = envOf(replicas[0]!);
    const lines = [...secretNames, 'DATABASE_URL']
      .filter((n) => env[n])
      .map((n) => `${n}=${env[n]}`);
    writeFileSync(path.join(work, 'secrets.env'), `${lines.join('\n')}\n`, { mode: 0o600 });
  }
  for (const r of replicas) {
    mkdirSync(path.join(work, r.name), { recursive: true });
    await startReplica(r, envOf(r), path.join(work, `${r.name}.log`));
  }
  const front = await startFront(replicas, frontPort);

  say(
    `simulator ${simUrl}; ${replicaCount} replica(s) behind ${front.url}; faults: 10 % 5xx, 5 % 429, 2 % busy (Ecs.0603/VPC.0512), 10 % server deletes refused (Ecs.0501), 2 % VPC stream control (500), 3 % sold-out creates (answer or job), 20 % EIPs left by server deletes, 2 % SSH drops`,
  );

  const control = async (
    route: string,
    body?: unknown,
    method = body === undefined ? 'GET' : 'POST',
  ) => {
    const res = await fetch(`${simUrl}/sim/marketplace${route}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new Error(`${route}: ${JSON.stringify(json)}`);
    return json;
  };
  // Retries keep their real proportions: seconds of downtime against a window of many minutes.
  const policy = { intervalMs: 2000, windowMs: 20 * 60_000 };
  await control(
    '/config',
    {
      productionUrl: `${front.url}/koogallery/produce`,
      key: marketplaceKey,
      products: {
        'OFFI-DEMO-LICENSE-MONTH': { protocol: 'v2' },
        'OFFI-DEMO-LICENSE-YEAR': { protocol: 'v1' },
        ...hostile.products,
      },
      knobs: {
        timeoutMs: 5000,
        retry: { purchase: policy, renewal: policy, release: policy, status: policy },
        poll: { intervalMs: 1000, deadlineMs: 20 * 60_000 },
      },
    },
    'PATCH',
  );

  // The killer: every 5–15 s one replica dies (SIGKILL) and is restarted; with two replicas, the
  // second one is killed for good halfway through the purchases.
  let killing = true;
  // Kills, restarts and the retirement run one at a time: retiring a replica the killer is
  // restarting would leave the killer waiting for a process that is gone.
  let lifecycle: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = lifecycle.then(fn);
    lifecycle = run.catch(() => {});
    return run;
  };
  let retireAt = replicaCount > 1 ? Math.floor(purchasesWanted / 2) : Number.POSITIVE_INFINITY;
  const killer = (async () => {
    while (killing) {
      const wait = between(Number(values['kill-min']), Number(values['kill-max'])) * 1000;
      const until = Date.now() + wait;
      while (killing && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
      if (!killing) break;
      await exclusive(async () => {
        const alive = replicas.filter((r) => !r.retired);
        const victim = alive[Math.floor(random() * alive.length)]!;
        await killReplica(victim);
        say(`SIGKILL ${victim.name} (kill ${victim.kills})`);
        await startReplica(victim, envOf(victim), path.join(work, `${victim.name}.log`));
        say(`${victim.name} restarted`);
      });
    }
  })();
  // A replica that does not come back ends the run (every process it started stopped), rather
  // than leaving the simulator and its machines running behind an unhandled rejection.
  killer.catch((err: Error) => {
    console.error(`chaos run stopped: ${err.message}`);
    killAll();
    process.exit(1);
  });

  const purchases: Purchase[] = [];
  const followUps: Promise<void>[] = [];
  const hostileAt = Math.floor(purchasesWanted / 3);
  const licenseEvents: LicenseEvent[] = [];
  let licenseCount = 0;
  for (let i = 0; i < purchasesWanted; i++) {
    if (i === hostileAt) followUps.push((await hostile.place(control, say)).followUp);
    if (i === retireAt) {
      const victim = replicas[1]!;
      await exclusive(async () => {
        victim.retired = true;
        await killReplica(victim);
        say(`${victim.name} killed for good`);
      });

      retireAt = Number.POSITIVE_INFINITY;
    }
    const protocol: 'v1' | 'v2' = i % 2 === 0 ? 'v2' : 'v1';
    const bought = await control('/orders', {
      productId: protocol === 'v2' ? 'OFFI-DEMO-LICENSE-MONTH' : 'OFFI-DEMO-LICENSE-YEAR',
      skuCode: 'basic',
      resends: Math.floor(random() * 4),
      duplicates: random() < 0.1 ? 2 : 1,
      wait: 'none',
    });
    const orderId = (bought.order as { orderId: string }).orderId;
    const opId = (bought.operation as { id: string }).id;
    const p: Purchase = {
      orderId,
      protocol,
      renewedEarly: i % 10 === 3,
      releaseSent: i % 10 === 6,
    };
    purchases.push(p);
    if (p.renewedEarly || p.releaseSent) {
      followUps.push(
        (async () => {
          // Once the purchase is answered (the instance exists), before it is ready.
          await waitUntil(
            `purchase ${orderId} answered`,
            async () =>
              ['succeeded', 'failed'].includes(
                ((await control(`/operations/${opId}`)) as { status: string }).status,
              ) ||
              !!((await control(`/instances/${orderId}`)) as { instanceId?: string }).instanceId,
            20 * 60_000,
            300,
          );
          if (p.renewedEarly)
            await control(`/instances/${orderId}/renew`, {
              periodType: 'month',
              periodNumber: 1,
              resends: 1,
              wait: 'none',
            });
          if (p.releaseSent) {
            await new Promise((r) => setTimeout(r, between(500, 3000)));
            await control(`/instances/${orderId}/release`, { resends: 1, wait: 'none' });
          }
        })(),
      );
    }
    // Live License: a getLicenseAsync event for some V2 instances that stay, under upload faults.
    if (protocol === 'v2' && !p.releaseSent && i % 4 === 0) {
      const n = licenseCount++;
      followUps.push(
        (async () => {
          await waitUntil(
            `purchase ${orderId} answered`,
            async () =>
              !!((await control(`/instances/${orderId}`)) as { instanceId?: string }).instanceId,
            20 * 60_000,
            300,
          );
          licenseEvents.push(
            await sendLicenseEvent(control, {
              orderId,
              n,
              primaryHost: new URL(simUrl).host,
              random,
            }),
          );
        })(),
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  say(
    `${purchasesWanted} purchases sent (${purchases.filter((p) => p.renewedEarly).length} renewed before ready, ${purchases.filter((p) => p.releaseSent).length} released during install)`,
  );
  await Promise.all(followUps);

  await waitUntil(
    'every marketplace operation to end',
    async () =>
      ((await control('/operations')) as { operations: { status: string }[] }).operations.every(
        (o) => o.status !== 'running',
      ),
    30 * 60_000,
    1000,
  );
  killing = false;
  await killer;
  say('marketplace done; kills stopped; waiting for the engine to settle');
  for (const r of replicas)
    if (!r.retired && !r.child) await startReplica(r, envOf(r), path.join(work, `${r.name}.log`));
  const databaseUrl = sharedUrl ?? embeddedUrl(path.join(work, replicas[0]!.name));
  await waitUntil(
    'no unfinished operation',
    async () => {
      const c = new pg.Client({ connectionString: databaseUrl });
      await c.connect();
      try {
        const { rows } = await c.query(
          "SELECT count(*)::int AS n FROM operations WHERE status IN ('pending', 'running')",
        );
        return rows[0].n === 0;
      } finally {
        await c.end();
      }
    },
    15 * 60_000,
    1000,
  );

  const inventoryOf = async (live: string[]) =>
    (await (await fetch(`${simUrl}/sim/inventory?live=${live.join(',')}`)).json()) as Inventory;
  const ledger = (await control('/ledger')) as unknown as {
    entries: LedgerEntry[];
    violations: Violation[];
  };
  const results = await runChecks({
    databaseUrl,
    masterKey,
    purchases,
    ledger: ledger.entries,
    violations: ledger.violations,
    inventory: inventoryOf,
  });
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    results.push(...(await hostile.check(client)));
  } finally {
    await client.end();
  }
  const { uploads } = (await control('/license-uploads')) as unknown as {
    uploads: { eventId: string; sha256: string; host: string }[];
  };
  results.push(
    ...(await checkLicenseUploads({
      databaseUrl,
      events: licenseEvents,
      uploads,
      fallbackHost: new URL(fallbackUrl).host,
    })),
  );
  const kills = replicas.reduce((n, r) => n + r.kills, 0);
  console.log(
    `\nchaos run: ${purchasesWanted} purchases, ${replicaCount} replica(s), ${kills} SIGKILLs, ${ledger.entries.length} marketplace calls, ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  for (const r of results) console.log(`  ${r.ok ? 'ok  ' : 'FAIL'} ${r.name}: ${r.detail}`);
  console.log(`  the cloud's error answers: ${cloudAnswers(await inventoryOf([]))}`);
  if (values.alerts) {
    console.log(`  alerts (sent to ${alertUrl}):`);
    for (const line of await alertTally(databaseUrl)) console.log(`    ${line}`);
    await alertReceiver?.close();
  }
  writeFileSync(
    path.join(work, 'report.json'),
    JSON.stringify(
      {
        purchases: purchasesWanted,
        replicas: replicaCount,
        kills,
        calls: ledger.entries.length,
        results,
      },
      null,
      2,
    ),
  );

  for (const r of replicas) if (r.child) r.child.kill('SIGTERM');
  await Promise.all(
    replicas.map((r) => (r.child ? new Promise((res) => r.child!.once('exit', res)) : undefined)),
  );
  await front.close();
  sim.kill('SIGTERM');
  await new Promise((r) => sim.once('exit', r));
  console.log(`  logs and data: ${work}${values.keep ? '' : ' (removed; --keep to keep them)'}`);
  if (values.keep) {
    // Not simulator.log: the simulated cloud prints its own AK/SK for the user to configure kgd,
    // as a real cloud's console shows them; the service's own output is what must never show them.
    const logs = replicas.map((r) => `${work}/${r.name}.log`);

    console.log(
      `  secrets scan: (set -a; . ${work}/secrets.env; npx tsx scripts/secrets-scan.ts --data-dir ${work}/chaos-a --logs ${logs.join(' ')})`,
    );
    if (sharedDb) console.log(`  database ${sharedDb} kept: DROP DATABASE ${sharedDb} when done`);
  }
  return results.every((r) => r.ok);
}

/** The simulated cloud's error answers by code, over every API, most frequent first. */
function cloudAnswers(inventory: Inventory): string {
  const byCode = new Map<string, number>();
  for (const stats of Object.values(inventory.stats))
    for (const [code, n] of Object.entries(stats.refusals ?? {}))
      byCode.set(code, (byCode.get(code) ?? 0) + n);
  return (
    [...byCode]
      .sort((a, b) => b[1] - a[1])
      .map(([code, n]) => `${code} ${n}`)
      .join(', ') || 'none'
  );
}

const ok = await main().catch((err) => {
  console.error(err);
  killAll();
  return false;
});

await hostile.close();
if (sharedDb && !values.keep) {
  await admin(`DROP DATABASE IF EXISTS ${sharedDb} WITH (FORCE)`).catch(() => {});
}

if (!values.keep) rmSync(work, { recursive: true, force: true });
process.exitCode = ok ? 0 : 1;
