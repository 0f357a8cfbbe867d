import type { Hono } from 'hono';
import { Registry } from 'prom-client';
import { composeGateway } from '../../../src/app/compose-service.js';
import { createApp } from '../../../src/app/http.js';
import type { Runtime } from '../../../src/app/runtime.js';
import type { CloudApi } from '../../../src/cloud/cloud-api.js';
import { idleDispatcher, type OperationDispatcher } from '../../../src/deployments/dispatcher.js';
import type { WorkflowControl } from '../../../src/deployments/engine/workflow-control.js';
import { createLicenseIssuer } from '../../../src/licenses/license-store.js';
import { loadOrCreateSigningKey } from '../../../src/licenses/signing-key.js';
import { type ChangeFeed, createChangeFeed } from '../../../src/operators/dashboard/change-feed.js';
import { createMetrics, type Metrics } from '../../../src/operators/metrics/metrics.js';
import type { Clock } from '../../../src/platform/clock.js';
import { createIds } from '../../../src/platform/ids.js';

export const PRODUCE_PATH = '/koogallery/produce';

export interface OperatorAppParts {
  runtime: Runtime;
  clock: Clock;
  workflows: Pick<WorkflowControl, 'listSteps' | 'rewind'>;
  dispatcher?: OperationDispatcher;
  cloud?: CloudApi;
  feedIntervalMs?: number;
}

/**
 * The service's app as compose-service composes it (gateway, health, admin API, dashboard,
 * /metrics) from parts a test owns: a runtime on its database, a workflow store, a cloud or none,
 * and no engine.
 */
export async function createOperatorApp(parts: OperatorAppParts): Promise<{
  app: Hono;
  metrics: Metrics;
  feed: ChangeFeed;
}> {
  const { runtime, clock } = parts;
  const db = runtime.database.db;
  const ids = createIds(clock);
  const logger = runtime.logger;
  const metrics = createMetrics({ registry: new Registry(), db });
  const feed = createChangeFeed({ db, logger, intervalMs: parts.feedIntervalMs ?? 200 });
  const key = await loadOrCreateSigningKey({ db, secretBox: runtime.secretBox, clock });
  const dispatcher = parts.dispatcher ?? idleDispatcher;
  const gateway = composeGateway(runtime, {
    clock,
    ids,
    licenses: createLicenseIssuer({ db, key, clock, ids }),
    dispatcher,
    onAnswered: metrics.onAnswered,
  });
  const app = createApp({
    gateway,
    engineReady: () => true,
    limits: runtime.config.surfaces,
    operators: {
      db,
      clock,
      ids,
      secrets: runtime.secrets,
      logger,
      workflows: parts.workflows,
      cloud: parts.cloud,
      replay: {
        secretBox: runtime.secretBox,
        keys: runtime.marketplaceKeys,
        producePath: PRODUCE_PATH,
      },
      wake: (id) => dispatcher.wake(id),
      feed,
      metrics: metrics.registry,
      metricsPublic: runtime.config.surfaces.metricsPublic,
      sessions: {
        ...runtime.config.surfaces.sessions,
        secureCookies: runtime.config.publicUrl.startsWith('https:'),
      },
    },
  });
  return { app, metrics, feed };
}
