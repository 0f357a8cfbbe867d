/**
 * Secrets scan: after a run (the demo, the chaos run), searches its logs, the output of the
 * operator commands run against its database, and a dump of that database for every secret value
 * the run used — marketplace keys, cloud AK/SK, the master key, the database password, every ECS
 * root password and app admin password, credential extension parameters, the license signing
 * key — as is, JSON-escaped, URL-encoded, hex and base64. Exit 0: no plaintext hit and every
 * control passed; 1: a hit or a failed control; 2: the scan could not run.
 *
 * Usage:
 *   KGD_DATA_DIR=/tmp/x node bin/kgd.js demo > /tmp/x/demo.out
 *   npx tsx scripts/secrets-scan.ts --data-dir /tmp/x [--logs <file> [file...]]
 *     [--database-url <url>] [--skip-cli] [--max-instances 3]
 * The run's KGD_MASTER_KEY, KGD_MARKETPLACE_KEYS, KGD_CLOUD_AK/SK and DATABASE_URL are read from
 * the environment when it set them; otherwise from the files in --data-dir (embedded mode).
 *
 * Not searched: the simulated machines' disks (<data dir>/simulator: the buyer's own servers,
 * which hold their credentials by design), the PostgreSQL cluster files (<data dir>/pg: the dump
 * covers their content), the package archives (<data dir>/work: built from templates/). The SSH
 * host keys of simulated machines belong to the simulator, not to the service: not searched.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/platform/db/embedded-postgres.js';
import { createSilentLogger } from '../src/platform/logger.js';
import { build } from './build.js';
import { sealedSecrets, staticSecrets } from './secrets-scan/collect.js';
import { dumpDatabase } from './secrets-scan/dump.js';
import { findHits, type Hit, type Secret, type Source } from './secrets-scan/forms.js';
import { operatorCommandOutputs } from './secrets-scan/operator-commands.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'data-dir': { type: 'string' },
    logs: { type: 'string', multiple: true, default: [] },
    'database-url': { type: 'string' },
    'skip-cli': { type: 'boolean', default: false },
    'max-instances': { type: 'string', default: '3' },
  },
});
// The kgd processes run bin/kgd.js, that is dist/: bring it up to date with the sources.
build();

/** Files the service writes as secrets on purpose: they are the positive controls, not sources. */
const secretFiles = new Set(['master.key', 'marketplace.key', 'pg.password']);
const say = (line = '') => process.stdout.write(`${line}\n`);

try {
  process.exitCode = await main();
} catch (err) {
  // Messages here name files and purposes, never values.
  process.stderr.write(`secrets-scan: ${(err as Error).message}\n`);
  process.exitCode = 2;
}

async function main(): Promise<number> {
  const dataDir = values['data-dir'] ? path.resolve(values['data-dir']) : undefined;
  const logs = [...values.logs, ...positionals].map((f) => path.resolve(f));
  for (const f of logs) if (!existsSync(f)) throw new Error(`--logs: ${f} does not exist`);
  const env = { ...process.env };
  if (values['database-url']) env.DATABASE_URL = values['database-url'];
  if (!dataDir && !env.DATABASE_URL) throw new Error('give --data-dir or --database-url');

  const base = staticSecrets(env, dataDir);
  const database = await openDatabase(env.DATABASE_URL, dataDir);
  const client = new pg.Client({
    connectionString: database.url,
    application_name: 'kgd-secrets-scan', // kgd%: operator commands leave embedded PostgreSQL up
  });
  await client.connect();
  try {
    const sealed = await sealedSecrets(client, base.masterKey);
    const secrets = [...base.secrets, ...sealed.secrets];
    say(`secrets-scan of ${dataDir ?? 'DATABASE_URL'}`);
    for (const note of [...base.notes, ...sealed.notes]) say(`  ${note}`);
    say(`  ${secrets.length} secret values searched in every form`);

    const sources: Source[] = [];
    const files = [...(dataDir ? runFiles(dataDir) : []), ...logs];
    for (const file of new Set(files)) sources.push({ name: file, data: readFileSync(file) });
    const cliEnv = { ...env, ...(dataDir && !env.DATABASE_URL ? { KGD_DATA_DIR: dataDir } : {}) };
    const cli = values['skip-cli']
      ? []
      : await operatorCommandOutputs({
          client,
          env: cliEnv,
          maxInstances: Number(values['max-instances']),
        });
    sources.push(...cli);
    const dump = await dumpDatabase(database.url, client);
    sources.push({ name: `database dump: ${dump.method}`, data: dump.data });

    const hits = findHits(sources, secrets);
    say();
    say('searched:');
    for (const s of sources) {
      const n = hits.filter((h) => h.source === s.name).length;
      say(`  ${String(s.data.length).padStart(9)} B  ${n ? `${n} HIT(S)` : '0 hits '}  ${s.name}`);
    }
    const controls = await positiveControls({ client, dataDir, secrets, cli, dump: dump.data });
    say();
    say('controls (the scan looks where secrets would be):');
    for (const c of controls) say(`  ${c.ok ? 'ok  ' : 'FAIL'}  ${c.name}`);
    say();
    report(hits);
    return hits.length === 0 && controls.every((c) => c.ok) ? 0 : 1;
  } finally {
    await client.end();
    await database.stop();
  }
}

async function openDatabase(url: string | undefined, dataDir: string | undefined) {
  if (url) return { url, stop: async () => {} };
  if (!existsSync(path.join(dataDir!, 'pg', 'PG_VERSION'))) {
    throw new Error(`${dataDir}/pg holds no PostgreSQL cluster: is this a kgd data directory?`);
  }
  return startEmbeddedPostgres({ dataDir: dataDir!, logger: createSilentLogger() });
}

/** The run's own files in the data directory: logs and outputs (see the header for exclusions). */
function runFiles(dataDir: string): string[] {
  return readdirSync(dataDir)
    .filter((f) => !secretFiles.has(f))
    .map((f) => path.join(dataDir, f))
    .filter((f) => statSync(f).isFile());
}

interface Control {
  name: string;
  ok: boolean;
}

async function positiveControls(input: {
  client: pg.Client;
  dataDir: string | undefined;
  secrets: Secret[];
  cli: Source[];
  dump: Buffer;
}): Promise<Control[]> {
  const controls: Control[] = [];
  // Every value must be searchable: one too short to search would be skipped without a word.
  const unfound = input.secrets.filter((secret) => {
    const planted = Buffer.concat([
      Buffer.from('{"msg":"'),
      Buffer.from(JSON.stringify(secret.value.toString('latin1')).slice(1, -1), 'latin1'),
      Buffer.from('"} x'),
      Buffer.from(Buffer.concat([Buffer.from('u:'), secret.value]).toString('base64')),
    ]);
    return findHits([{ name: 'planted', data: planted }], [secret]).length === 0;
  });
  controls.push({
    name: `each of the ${input.secrets.length} values is found when planted in a synthetic text${unfound.length ? ` (not: ${unfound.map((s) => s.name).join(', ')})` : ''}`,
    ok: unfound.length === 0,
  });
  const named = (prefix: string) => input.secrets.filter((s) => s.name.startsWith(prefix));
  for (const [file, prefix] of [
    ['master.key', 'master key'],
    ['marketplace.key', 'marketplace key'],
    ['pg.password', 'embedded PostgreSQL password'],
  ] as const) {
    const full = input.dataDir && path.join(input.dataDir, file);
    if (!full || !existsSync(full)) continue;
    const found = findHits([{ name: file, data: readFileSync(full) }], named(prefix)).length > 0;
    controls.push({ name: `the matcher finds the ${prefix} in ${file}`, ok: found });
  }
  const { rows } = await input.client.query<{ sealed: string }>(
    `SELECT root_password_sealed AS sealed FROM instances WHERE root_password_sealed IS NOT NULL
     UNION ALL SELECT sealed FROM secrets`,
  );
  controls.push({
    name: `the dump holds all ${rows.length} sealed root passwords and stored secrets as ciphertext`,
    ok: rows.every((r) => input.dump.includes(r.sealed)),
  });
  // A checkpointed step output (DBOS keeps them in its own schema) must be in the dump too.
  const { rows: outputs } = await input.client.query<{ output: string }>(
    `SELECT output FROM dbos.operation_outputs
      WHERE output IS NOT NULL AND output !~ '[\\\\\t\n\r]'
      ORDER BY length(output) DESC LIMIT 1`,
  );
  controls.push({
    name: "the dump holds DBOS's checkpointed step outputs (dbos.operation_outputs)",
    ok: outputs.length === 1 && input.dump.includes(outputs[0]!.output),
  });
  const list = input.cli.find((s) => s.name.startsWith('kgd deployments list --json'));
  if (list) {
    const { rows: ids } = await input.client.query<{ id: string }>(
      'SELECT id FROM instances ORDER BY created_at DESC LIMIT 20',
    );
    controls.push({
      name: `kgd deployments list --json printed the deployments (${ids.length} checked)`,
      ok: ids.length > 0 && ids.every((r) => list.data.includes(r.id)),
    });
  }
  return controls;
}

function report(hits: Hit[]) {
  if (hits.length === 0) {
    say('result: 0 plaintext hits');
    return;
  }
  say(`result: ${hits.length} PLAINTEXT HIT(S) (contexts below have every secret masked)`);
  for (const h of hits.slice(0, 40)) {
    say(`  ${h.secret} [${h.kind}] in ${h.source} at byte ${h.offset}:`);
    say(`      ${h.context}`);
  }
  if (hits.length > 40) say(`  ... and ${hits.length - 40} more`);
}
