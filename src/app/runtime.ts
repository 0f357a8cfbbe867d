import path from 'node:path';
import {
  createInstanceSecrets,
  type InstanceSecrets,
} from '../deployments/model/instance-secrets.js';
import { type Config, loadConfig } from '../platform/config.js';
import { embeddedMarketplaceKey, embeddedMasterKey, ensureDataDir } from '../platform/data-dir.js';
import { type DatabaseHandle, openDatabase } from '../platform/db/database.js';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../platform/db/embedded-postgres.js';
import {
  createLogger,
  createSecretScrubber,
  type Logger,
  type SecretScrubber,
} from '../platform/logger.js';
import { createSecretBox, type SecretBox } from '../platform/secrets.js';

/**
 * What every command needs, opened from the environment: configuration, the redacting logger,
 * secrets at rest and the database (embedded PostgreSQL when DATABASE_URL is unset). `kgd serve`
 * (src/app/serve.ts, compose-service.ts) builds the service on it; the operator commands use it alone.
 */
export interface Runtime {
  config: Config;
  logger: Logger;
  scrubber: SecretScrubber;
  database: DatabaseHandle;
  secretBox: SecretBox;
  /** The instances' secrets, sealed under the master key and scrubbed from logs once opened. */
  secrets: InstanceSecrets;
  marketplaceKeys: string[];
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** `pg_stat_activity.application_name`, so the embedded database knows who is connected. */
  applicationName?: string;
  logDestination?: NodeJS.WritableStream;
}

/** Opens configuration, logger, secrets and the database: what every command needs. */
export async function openRuntime(
  env: Record<string, string | undefined>,
  options: RuntimeOptions = {},
): Promise<Runtime> {
  const config = loadConfig(env);
  const scrubber = createSecretScrubber();
  for (const k of config.marketplaceKeys) scrubber.add(k);
  scrubber.add(config.cloud.sk);
  scrubber.add(config.cloud.ak);
  const logger = createLogger({
    level: config.logLevel,
    scrubber,
    destination: options.logDestination,
  });
  ensureDataDir(config.dataDir);

  const embedded = !config.databaseUrl;
  const masterKey = config.masterKey ?? embeddedMasterKey(config.dataDir);
  for (const key of [masterKey, ...config.previousMasterKeys]) {
    scrubber.add(key.toString('base64'));
    scrubber.add(key.toString('hex'));
  }
  const marketplaceKeys =
    config.marketplaceKeys.length > 0
      ? config.marketplaceKeys
      : [embeddedMarketplaceKey(config.dataDir)];
  for (const k of marketplaceKeys) scrubber.add(k);
  if (config.marketplaceKeys.length === 0) {
    logger.warn(
      { file: path.join(config.dataDir, 'marketplace.key') },
      'KGD_MARKETPLACE_KEYS is not set: using a generated key (fine for the simulator; set the seller-console Key for real traffic)',
    );
  }

  let pg: EmbeddedPostgres | undefined;
  if (embedded) pg = await startEmbeddedPostgres({ dataDir: config.dataDir, logger });
  const url = config.databaseUrl ?? pg!.url;
  let database: DatabaseHandle;
  try {
    database = await openDatabase({
      url,
      poolSize: config.dbPoolSize,
      logger,
      applicationName: options.applicationName ?? 'kgd',
      // Well inside the replica timeout: a replica paused mid-transaction lets go of its locks
      // before another takes its work over (engine/lease.ts).
      idleInTransactionTimeoutMs: Math.max(1000, Math.floor(config.replicaTimeoutMs / 3)),
    });
  } catch (err) {
    await pg?.stop();
    throw err;
  }
  const secretBox = createSecretBox(masterKey, config.previousMasterKeys);
  return {
    config,
    logger,
    scrubber,
    database,
    secretBox,
    secrets: createInstanceSecrets(secretBox, scrubber),
    marketplaceKeys,
    async close() {
      await database.close();
      await pg?.stop();
    },
  };
}
