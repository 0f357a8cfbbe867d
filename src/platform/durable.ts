import { DBOS } from '@dbos-inc/dbos-sdk';
import type { Logger } from './logger.js';

/**
 * DBOS Transact on the project's PostgreSQL (its tables in the `dbos` schema of the same
 * database). DBOS is a process-wide singleton by design; this module is the one place that
 * configures, launches and shuts it down, so everything else receives it as a dependency.
 */
export interface DurableEngineOptions {
  databaseUrl: string;
  logger: Logger;
  /** Stable per replica: DBOS recovers a replica's PENDING workflows by this id. */
  executorId: string;
  /** Pinned: workflows only recover on a process of the same version. */
  appVersion: string;
  poolSize?: number;
}

export interface DurableEngine {
  executorId: string;
  appVersion: string;
  shutdown(): Promise<void>;
}

function dbosLogger(logger: Logger) {
  const log = logger.child({ component: 'dbos' });
  const text = (entry: unknown) => (typeof entry === 'string' ? entry : String(entry));
  return {
    info: (e: unknown) => log.info(text(e)),
    debug: (e: unknown) => log.debug(text(e)),
    warn: (e: unknown) => log.warn(text(e)),
    error: (e: unknown) => log.error(e instanceof Error ? { err: e.message } : {}, text(e)),
  };
}

/** Launches DBOS; workflows must be registered (DBOS.registerWorkflow) before this is called. */
export async function launchDurableEngine(options: DurableEngineOptions): Promise<DurableEngine> {
  DBOS.setConfig({
    name: 'koogallery-deployer',
    systemDatabaseUrl: options.databaseUrl,
    systemDatabaseSchemaName: 'dbos',
    systemDatabasePoolSize: options.poolSize ?? 10,
    executorID: options.executorId,
    applicationVersion: options.appVersion,
    logger: dbosLogger(options.logger),
  });
  await DBOS.launch();
  return {
    executorId: options.executorId,
    appVersion: options.appVersion,
    shutdown: () => DBOS.shutdown(),
  };
}
