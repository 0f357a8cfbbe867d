import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { CliError, type CliIo } from '../platform/cli-io.js';
import { systemClock } from '../platform/clock.js';
import type { Db } from '../platform/db/database.js';
import type { Instance } from '../platform/db/schema.js';
import { startService } from './serve.js';

const say = (io: CliIo, line = '') => io.stdout.write(`${line}\n`);

/**
 * `kgd demo` (`npm run demo`): the service's main job on its embedded defaults, narrated. It starts
 * the service with the built-in cloud and marketplace simulator, buys demo-license, follows the
 * deployment to ready, opens the licensed app, then (V2) has the buyer's client ask for a live
 * License (getLicenseAsync) and shows the upload the marketplace received, then renews, expires,
 * unfreezes, upgrades and releases it, and prints the cloud inventory left at the end (nothing).
 */
export async function runDemo(io: CliIo, protocol: 'v1' | 'v2', timeScale?: string) {
  const env: Record<string, string | undefined> = {
    KGD_SIM_TIME_SCALE: timeScale ?? io.env.KGD_SIM_TIME_SCALE ?? '0.1',
    KGD_PORT: io.env.KGD_PORT ?? '0',
    KGD_SIM_PORT: io.env.KGD_SIM_PORT ?? '0',
    KGD_HOST: io.env.KGD_HOST ?? '127.0.0.1',
    ...io.env,
    KGD_CLOUD_AK: undefined,
    KGD_CLOUD_SK: undefined,
  };
  const dataDir = path.resolve(env.KGD_DATA_DIR ?? './.kgd');
  mkdirSync(dataDir, { recursive: true });
  const logFile = path.join(dataDir, 'demo.log');
  const started = Date.now();
  say(
    io,
    'koogallery-deployer demo: the built-in simulator stands in for KooGallery and Huawei Cloud',
  );
  say(io, `  service log: ${logFile}`);
  const service = await startService(env, {
    logDestination: createWriteStream(logFile, { flags: 'a' }),
  });
  const db = service.runtime.database.db;
  const sim = service.simulatorUrl!;
  const t = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s`;
  try {
    say(
      io,
      `${t()}  service at ${service.url}, production endpoint ${service.url}${service.runtime.config.producePath}`,
    );
    say(
      io,
      `${t()}  simulated cloud and marketplace at ${sim} (time scale ${env.KGD_SIM_TIME_SCALE})`,
    );

    const bought = await control(sim, '/sim/marketplace/orders', {
      productId: 'OFFI-DEMO-LICENSE-MONTH',
      skuCode: 'basic',
      periodType: 'month',
      periodNumber: 1,
      protocol,
      wait: 'answered',
    });
    const id = (bought.instance as { instanceId?: string } | undefined)?.instanceId;
    if (!id)
      throw new CliError(`the purchase was not accepted: ${JSON.stringify(bought.operation)}`);
    say(
      io,
      `${t()}  buyer purchased demo-license (${protocol.toUpperCase()} newInstance); instance ${id}`,
    );
    const ready = await follow(io, db, id, 'ready', t);
    say(
      io,
      `${t()}  ready: ${ready.front_end_url} (server ${ready.server_id}, ${ready.flavor} in ${ready.az})`,
    );
    await showApp(io, ready.front_end_url!, t);
    if (protocol === 'v2') await liveLicense(io, db, sim, id, t);

    await control(sim, `/sim/marketplace/instances/${id}/renew`, {
      periodType: 'year',
      periodNumber: 1,
      wait: 'answered',
    });
    say(io, `${t()}  buyer renewed for a year (refreshInstance)`);
    await settled(io, db, id, t);
    await showApp(io, ready.front_end_url!, t);

    await control(sim, `/sim/marketplace/instances/${id}/expire`, { wait: 'answered' });
    say(io, `${t()}  the period ended without renewal (expiry): service stopped, data kept`);
    await follow(io, db, id, 'frozen', t);
    const refused = await fetch(ready.front_end_url!, { signal: AbortSignal.timeout(3000) }).then(
      () => false,
      () => true,
    );
    say(io, `${t()}  the app ${refused ? 'no longer answers' : 'STILL ANSWERS (unexpected)'}`);

    await control(sim, `/sim/marketplace/instances/${id}/unfreeze`, { wait: 'answered' });
    say(io, `${t()}  the marketplace unfroze the instance`);
    await follow(io, db, id, 'ready', t);
    await settled(io, db, id, t);
    await showApp(io, ready.front_end_url!, t);

    await control(sim, `/sim/marketplace/instances/${id}/upgrade`, {
      skuCode: 'pro',
      wait: 'answered',
    });
    say(
      io,
      `${t()}  buyer upgraded to sku pro${protocol === 'v2' ? ' (changeInstanceCheck allowed it, then upgradeInstance)' : ''}`,
    );
    await settled(io, db, id, t);
    const upgraded = await instanceRow(db, id);
    say(io, `${t()}  server resized to ${upgraded.flavor}`);
    await showApp(io, ready.front_end_url!, t);

    await control(sim, `/sim/marketplace/instances/${id}/release`, { wait: 'answered' });
    say(io, `${t()}  buyer's subscription ended (releaseInstance)`);
    await follow(io, db, id, 'released', t);
    const inventory = (await (await fetch(`${sim}/sim/inventory`)).json()) as Record<
      string,
      unknown[]
    >;
    const counts = ['servers', 'vpcs', 'subnets', 'securityGroups', 'eips', 'volumes'].map(
      (k) => `${k} ${(inventory[k] ?? []).length}`,
    );
    say(
      io,
      `${t()}  cloud inventory: ${counts.join(', ')}; orphans ${(inventory.orphans ?? []).length}`,
    );
    const left = ['servers', 'vpcs', 'subnets', 'securityGroups', 'eips', 'volumes'].reduce(
      (n, k) => n + (inventory[k] ?? []).length,
      0,
    );
    if (left > 0) throw new CliError(`${left} cloud resource(s) left after the release`);
    // With KGD_ALERT_WEBHOOK_URL (or KGD_ALERTS_FILE) set, each of these was also sent there.
    const alerts = await db.selectFrom('alerts').select(['kind', 'state', 'summary']).execute();
    say(io, `${t()}  alerts raised: ${alerts.length === 0 ? 'none' : alerts.length}`);
    for (const a of alerts) say(io, `              ${a.kind} (${a.state}): ${a.summary}`);
    say(io, `${t()}  done: nothing left in the cloud`);
  } finally {
    await service.stop();
  }
}

/**
 * getLicenseAsync end to end (spec §7): the marketplace sends the event, the service answers at
 * once, renders the license bound to the device and uploads it; the marketplace's upload API
 * checked the signature and the sha256 of the bytes it received.
 */
async function liveLicense(io: CliIo, db: Db, sim: string, id: string, t: () => string) {
  const deviceFingerprint = '00:1A:2B:3C:4D:5E|WD-DEMO-0001|BOARD-DEMO|CPU-DEMO';
  const sent = await control(sim, `/sim/marketplace/instances/${id}/license-events`, {
    deviceFingerprint,
    wait: 'answered',
  });
  const eventId = String(sent.eventId);
  const answered = (sent.operation as { resultCode?: string } | undefined)?.resultCode;
  say(
    io,
    `${t()}  buyer's client asked for a license: getLicenseAsync event ${eventId}, device ${deviceFingerprint}; answered ${answered}`,
  );
  await settled(io, db, id, t);
  const res = await fetch(
    `${sim}/sim/marketplace/license-uploads?eventId=${encodeURIComponent(eventId)}`,
  );
  const { uploads } = (await res.json()) as {
    uploads: { fileName: string; sha256: string; text: string; host: string }[];
  };
  if (uploads.length !== 1)
    throw new CliError(`event ${eventId}: ${uploads.length} uploads, expected exactly one`);
  const up = uploads[0]!;
  say(
    io,
    `${t()}  marketplace upload API received ${up.fileName} for event ${eventId} (${up.text.length} bytes, signature and sha256 checked)`,
  );
  say(io, `              sha256 ${up.sha256}`);
  const resend = await control(sim, `/sim/marketplace/instances/${id}/license-events`, {
    eventId,
    deviceFingerprint,
    wait: 'answered',
  });
  const again = (resend.operation as { resultCode?: string } | undefined)?.resultCode;
  const after = (await (
    await fetch(`${sim}/sim/marketplace/license-uploads?eventId=${encodeURIComponent(eventId)}`)
  ).json()) as { uploads: unknown[] };
  say(
    io,
    `${t()}  the marketplace resent the event: answered ${again}, uploads for it still ${after.uploads.length}`,
  );
}

async function control(
  sim: string,
  route: string,
  body: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const res = await fetch(`${sim}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new CliError(`simulator ${route}: ${JSON.stringify(json)}`);
  return json;
}

const instanceRow = (db: Db, id: string) =>
  db.selectFrom('instances').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

/** How far the narration has printed the deployment log (one demo per process). */
const cursor = { lastLog: '0' };

async function printNewLogs(io: CliIo, db: Db, id: string, t: () => string) {
  const logs = await db
    .selectFrom('operation_logs')
    .select(['id', 'step', 'message'])
    .where('instance_id', '=', id)
    .where('id', '>', cursor.lastLog)
    .where('stream', 'is', null)
    .orderBy('id')
    .execute();
  for (const l of logs) {
    cursor.lastLog = l.id;
    say(io, `${t()}      [${l.step ?? ''}] ${l.message}`);
  }
}

/** Prints each step as the deployment log records it, until the instance reaches `status`. */
async function follow(
  io: CliIo,
  db: Db,
  id: string,
  status: string,
  t: () => string,
): Promise<Instance> {
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    await printNewLogs(io, db, id, t);
    const inst = await instanceRow(db, id);
    if (inst.status === status) return inst;
    if (inst.status === 'failed' || inst.status === 'cleanup_failed') {
      throw new CliError(`instance ${id} ${inst.status}: ${inst.status_detail}`);
    }
    if (Date.now() > deadline)
      throw new CliError(`instance ${id} did not become ${status} within 15 minutes`);
    await systemClock.sleep(200);
  }
}

/** Prints the log until every operation of the instance has finished; the last must have succeeded. */
async function settled(io: CliIo, db: Db, id: string, t: () => string) {
  for (;;) {
    await printNewLogs(io, db, id, t);
    const open = await db
      .selectFrom('operations')
      .select('id')
      .where('instance_id', '=', id)
      .where('status', 'in', ['pending', 'running'])
      .execute();
    if (open.length === 0) break;
    await systemClock.sleep(200);
  }
  await printNewLogs(io, db, id, t);
  const last = await db
    .selectFrom('operations')
    .select(['kind', 'status', 'error'])
    .where('instance_id', '=', id)
    .orderBy('seq', 'desc')
    .executeTakeFirstOrThrow();
  if (last.status !== 'succeeded')
    throw new CliError(`${last.kind} ${last.status}: ${JSON.stringify(last.error)}`);
}

async function showApp(io: CliIo, url: string, t: () => string) {
  const html = await (await fetch(url, { signal: AbortSignal.timeout(5000) })).text();
  const text = html
    .replace(/<style[\s\S]*?<\/style>/g, '')
    .replace(/<\/(tr|p|h1)>/g, '\n')
    .replace(/<\/t[hd]>/g, '  ')
    .replace(/<[^>]+>/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  say(io, `${t()}  the licensed app at ${url} says:`);
  for (const line of text.slice(1, 8)) say(io, `              | ${line}`);
}
