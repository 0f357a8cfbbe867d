import type { Hono } from 'hono';
import { Registry } from 'prom-client';
import { createApp } from '../../../src/app/http.js';
import type { CloudApi } from '../../../src/cloud/cloud-api.js';
import type { OperationDispatcher } from '../../../src/deployments/dispatcher.js';
import { createOperatorActions } from '../../../src/deployments/operator-actions.js';
import type { WorkflowControl } from '../../../src/deployments/workflow-control.js';
import type { LicenseIssuer } from '../../../src/licenses/license-store.js';
import type { GatewayDeps } from '../../../src/marketplace/handlers/context.js';
import { type ChangeFeed, createChangeFeed } from '../../../src/operators/dashboard/change-feed.js';
import { createMetrics, type Metrics } from '../../../src/operators/metrics/metrics.js';
import type { Clock } from '../../../src/platform/clock.js';
import type { Db } from '../../../src/platform/db/database.js';
import type { Ids } from '../../../src/platform/ids.js';
import { createSilentLogger, type Logger } from '../../../src/platform/logger.js';
import type { SecretBox } from '../../../src/platform/secrets.js';

export const PRODUCE_PATH = '/koogallery/produce';

export interface OperatorAppParts {
  db: Db;
  clock: Clock;
  ids: Ids;
  secretBox: SecretBox;
  key: string;
  licenses: LicenseIssuer;
  dispatcher: OperationDispatcher;
  workflows: WorkflowControl;
  cloud?: CloudApi;
  logger?: Logger;
  feedIntervalMs?: number;
}

/**
 * The service's app as main.ts composes it (gateway, health, admin API, dashboard, /metrics),
 * from parts a test owns: a database, an engine or none, a cloud or none.
 */
export function createOperatorApp(parts: OperatorAppParts): {
  app: Hono;
  metrics: Metrics;
  feed: ChangeFeed;
} {
  const logger = parts.logger ?? createSilentLogger();
  const metrics = createMetrics({ registry: new Registry(), db: parts.db });
  const feed = createChangeFeed({ db: parts.db, logger, intervalMs: parts.feedIntervalMs ?? 200 });
  const gateway: GatewayDeps = {
    db: parts.db,
    clock: parts.clock,
    ids: parts.ids,
    logger,
    secretBox: parts.secretBox,
    keys: [parts.key],
    encryptType: 1,
    publicUrl: 'https://deploy.example.com',
    producePath: PRODUCE_PATH,
    v1MaxSkewMs: 300_000,
    v2MaxSkewMs: 60_000,
    answerDeadlineMs: 4000,
    maxBodyBytes: 65536,
    licenses: parts.licenses,
    dispatcher: parts.dispatcher,
    onAnswered: metrics.onAnswered,
  };
  const engine = createOperatorActions({
    db: parts.db,
    clock: parts.clock,
    ids: parts.ids,
    workflows: parts.workflows,
  });
  const app = createApp({
    gateway,
    engineReady: () => true,
    operators: {
      db: parts.db,
      clock: parts.clock,
      logger,
      engine,
      steps: engine.operationSteps,
      cloud: parts.cloud,
      replay: { secretBox: parts.secretBox, keys: [parts.key], producePath: PRODUCE_PATH },
      wake: (id) => parts.dispatcher.wake(id),
      feed,
      metrics: metrics.registry,
    },
  });
  return { app, metrics, feed };
}
