import { createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { createSecretBox, type SecretBox } from '../../src/platform/secrets.js';
import { simulatorDefaults } from '../../src/simulator/server.js';
import type { Secret } from './forms.js';

/**
 * Every secret value a run used, gathered the way the service itself finds them: from the
 * environment it was given (KGD_MASTER_KEY, KGD_MARKETPLACE_KEYS, KGD_CLOUD_AK/SK, DATABASE_URL)
 * or, in embedded mode, from the files it generated in its data directory; then, decrypted with
 * the master key, every secret it sealed in the database.
 */
export interface Collected {
  secrets: Secret[];
  /** What each kind of secret came from, for the report. */
  notes: string[];
}

const text = (name: string, value: string): Secret => ({ name, value: Buffer.from(value) });
const readTrimmed = (file: string) => readFileSync(file, 'utf8').trim();

export function staticSecrets(
  env: Record<string, string | undefined>,
  dataDir?: string,
): Collected & { masterKey: Buffer } {
  const secrets: Secret[] = [];
  const notes: string[] = [];
  const inDataDir = (file: string) =>
    dataDir && existsSync(path.join(dataDir, file)) ? path.join(dataDir, file) : undefined;

  const keyText = env.KGD_MASTER_KEY ?? readIf(inDataDir('master.key'));
  if (!keyText) {
    throw new Error('no master key: set KGD_MASTER_KEY or give --data-dir with master.key');
  }
  const masterKey = /^[0-9a-fA-F]{64}$/.test(keyText)
    ? Buffer.from(keyText, 'hex')
    : Buffer.from(keyText, 'base64');
  if (masterKey.length !== 32) throw new Error('the master key is not 32 bytes (hex or base64)');
  // The raw bytes cover hex and base64 in any alignment; the text as configured is added too.
  secrets.push(
    { name: 'master key', value: masterKey },
    text('master key (as configured)', keyText),
  );
  notes.push(`master key from ${env.KGD_MASTER_KEY ? 'KGD_MASTER_KEY' : 'master.key'}`);

  const marketplaceKeys = env.KGD_MARKETPLACE_KEYS
    ? env.KGD_MARKETPLACE_KEYS.split(',').map((k) => k.trim())
    : [readIf(inDataDir('marketplace.key'))].filter((k): k is string => !!k);
  for (const [i, k] of marketplaceKeys.entries()) secrets.push(text(`marketplace key ${i + 1}`, k));
  notes.push(
    `${marketplaceKeys.length} marketplace key(s) from ${env.KGD_MARKETPLACE_KEYS ? 'KGD_MARKETPLACE_KEYS' : 'marketplace.key'}`,
  );

  const cloud = new Map<string, string>([
    ['simulator AK', simulatorDefaults.ak],
    ['simulator SK', simulatorDefaults.sk],
  ]);
  if (env.KGD_CLOUD_AK && env.KGD_CLOUD_AK !== simulatorDefaults.ak)
    cloud.set('cloud AK', env.KGD_CLOUD_AK);
  if (env.KGD_CLOUD_SK && env.KGD_CLOUD_SK !== simulatorDefaults.sk)
    cloud.set('cloud SK', env.KGD_CLOUD_SK);
  for (const [name, value] of cloud) secrets.push(text(name, value));
  notes.push(`cloud credentials: ${[...cloud.keys()].join(', ')}`);

  const pgPassword = readIf(inDataDir('pg.password'));
  if (pgPassword) secrets.push(text('embedded PostgreSQL password', pgPassword));
  const urlPassword = env.DATABASE_URL ? new URL(env.DATABASE_URL).password : '';
  if (urlPassword) secrets.push(text('DATABASE_URL password', decodeURIComponent(urlPassword)));
  return { secrets, masterKey, notes };
}

function readIf(file: string | undefined): string | undefined {
  return file ? readTrimmed(file) : undefined;
}

/** Names of buyer extension parameters that carry credentials (e.g. an existing server's password). */
const credentialParam = /pass|pwd|secret|token|key/i;

/**
 * Opens every sealed column the service writes. A value that will not open under the master key
 * stops the scan: a scan with the wrong key would find nothing and prove nothing.
 */
export async function sealedSecrets(client: pg.Client, masterKey: Buffer): Promise<Collected> {
  const box = createSecretBox(masterKey);
  const secrets: Secret[] = [];
  const counts = { root: 0, app: 0, params: 0, stored: 0 };
  const { rows: instances } = await client.query<{
    id: string;
    root_password_sealed: string | null;
    app_password_sealed: string | null;
    private_sealed: string | null;
  }>('SELECT id, root_password_sealed, app_password_sealed, private_sealed FROM instances');
  for (const i of instances) {
    if (i.root_password_sealed) {
      secrets.push(
        text(
          `ECS root password of ${i.id}`,
          open(box, i.root_password_sealed, `instance:${i.id}:root-password`),
        ),
      );
      counts.root++;
    }
    if (i.app_password_sealed) {
      secrets.push(
        text(
          `app admin password of ${i.id}`,
          open(box, i.app_password_sealed, `instance:${i.id}:app-password`),
        ),
      );
      counts.app++;
    }
    if (i.private_sealed) {
      counts.params += pushParams(
        secrets,
        i.id,
        open(box, i.private_sealed, `instance:${i.id}:private`),
      );
    }
  }
  const { rows: ops } = await client.query<{ instance_id: string; params_sealed: string }>(
    'SELECT instance_id, params_sealed FROM operations WHERE params_sealed IS NOT NULL',
  );
  for (const o of ops) {
    counts.params += pushParams(
      secrets,
      o.instance_id,
      open(box, o.params_sealed, `instance:${o.instance_id}:private`),
    );
  }
  const { rows: stored } = await client.query<{ name: string; sealed: string }>(
    'SELECT name, sealed FROM secrets',
  );
  for (const s of stored) {
    const plain = open(box, s.sealed, s.name);
    counts.stored++;
    if (s.name === 'license-signing-key') secrets.push(...pemSecrets(s.name, plain));
    else secrets.push(text(`stored secret ${s.name}`, plain));
  }
  return {
    secrets,
    notes: [
      `decrypted from the database: ${counts.root} ECS root password(s), ${counts.app} app admin password(s), ${counts.params} credential extension parameter(s), ${counts.stored} stored secret(s) (${stored.map((s) => s.name).join(', ') || 'none'})`,
    ],
  };
}

function open(box: SecretBox, sealed: string, purpose: string): string {
  try {
    return box.open(sealed, purpose);
  } catch (cause) {
    throw new Error(`cannot open the secret sealed for ${purpose}: is this the run's master key?`, {
      cause,
    });
  }
}

function pushParams(secrets: Secret[], instanceId: string, json: string): number {
  const { extendParams = [] } = JSON.parse(json) as {
    extendParams?: { name: string; value: string }[];
  };
  const credentials = extendParams.filter((p) => credentialParam.test(p.name) && p.value);
  for (const p of credentials)
    secrets.push(text(`extension parameter ${p.name} of ${instanceId}`, p.value));
  return credentials.length;
}

/**
 * A PEM private key leaks through its base64 body lines (a log may carry a few of them) or as
 * the bare key: the 32-byte Ed25519 seed (JWK `d`, raw hex).
 */
function pemSecrets(name: string, pem: string): Secret[] {
  const lines = pem
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('-----'));
  const secrets = lines.map((l, i) => text(`${name} (PEM body line ${i + 1})`, l));
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType === 'ed25519') {
    const d = key.export({ format: 'jwk' }).d;
    if (d) secrets.push({ name: `${name} (Ed25519 seed)`, value: Buffer.from(d, 'base64url') });
  }
  return secrets;
}
