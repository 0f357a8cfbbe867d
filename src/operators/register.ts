import type { Hono } from 'hono';
import type { Registry } from 'prom-client';
import type { CloudApi } from '../cloud/cloud-api.js';
import type { WorkflowControl } from '../deployments/engine/workflow-control.js';
import type { InstanceSecrets } from '../deployments/model/instance-secrets.js';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/database.js';
import type { Ids } from '../platform/ids.js';
import type { Logger } from '../platform/logger.js';
import type { SecretBox } from '../platform/secrets.js';
import { createOperatorService } from './actions/operator-service.js';
import { createAdminApi } from './api/admin-api.js';
import type { ChangeFeed } from './dashboard/change-feed.js';
import { registerDashboard } from './dashboard/dashboard.js';
import type { SessionSettings } from './dashboard/session.js';
import { registerMetricsRoute } from './metrics/metrics-route.js';

/** What the operator surfaces need from the composition root. */
export interface OperatorSurfacesDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  ids: Ids;
  secrets: InstanceSecrets;
  /** DBOS workflow state: steps shown, reruns rewind. */
  workflows: Pick<WorkflowControl, 'listSteps' | 'rewind'>;
  /** The cloud the engine deploys to, for the sweep. */
  cloud?: CloudApi | undefined;
  /**
   * Replays of inbox entries go through the production route in-process: `send` is the public
   * app's fetch when operators have their own listener, else this app's.
   */
  replay?:
    | {
        secretBox: SecretBox;
        keys: string[];
        producePath: string;
        send?: ((request: Request) => Promise<Response>) | undefined;
      }
    | undefined;
  /** Wakes the engine for an instance that got a new operation (manual release). */
  wake?: ((instanceId: string | null) => void) | undefined;
  /** Live-update feed of the dashboard; closed by the service on shutdown. */
  feed: ChangeFeed;
  /** Served at /metrics when given. */
  metrics?: Registry | undefined;
  /** /metrics without a token (KGD_METRICS_PUBLIC=1). */
  metricsPublic?: boolean | undefined;
  /** Dashboard session lifetimes and cookie security. */
  sessions: SessionSettings;
}

/**
 * Mounts the operator surfaces on the service's app: the admin API (`/admin`, OpenAPI at
 * `/admin/openapi.json`), the dashboard (`/dashboard`) and `/metrics`, all over one audited
 * operator service, so the CLI, the API and the dashboard act the same way.
 */
export function registerOperatorSurfaces(app: Hono, deps: OperatorSurfacesDeps): void {
  const service = createOperatorService({
    db: deps.db,
    clock: deps.clock,
    ids: deps.ids,
    secrets: deps.secrets,
    workflows: deps.workflows,
    cloud: deps.cloud,
    wake: deps.wake,
    replay: deps.replay && {
      secretBox: deps.replay.secretBox,
      keys: deps.replay.keys,
      produceUrl: `http://kgd.internal${deps.replay.producePath}`,
      // In-process: the replay takes the same path a marketplace call takes, minus the network.
      send: deps.replay.send ?? (async (request) => app.fetch(request)),
    },
  });
  app.route(
    '/',
    createAdminApi({
      db: deps.db,
      clock: deps.clock,
      logger: deps.logger,
      service,
      steps: (id: string) => deps.workflows.listSteps(id),
    }),
  );
  registerDashboard(app, {
    db: deps.db,
    clock: deps.clock,
    logger: deps.logger,
    service,
    steps: (id: string) => deps.workflows.listSteps(id),
    feed: deps.feed,
    sessions: deps.sessions,
  });
  if (deps.metrics)
    registerMetricsRoute(app, deps.metrics, {
      public: deps.metricsPublic === true,
      db: deps.db,
      clock: deps.clock,
    });
  app.get('/', (c) => c.redirect('/dashboard', 302));
}
