import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/database.js';
import type { Logger } from '../../platform/logger.js';
import type { OperatorService } from '../actions/operator-service.js';
import type { StepReader } from '../queries/deployment-detail.js';
import type { ChangeFeed } from './change-feed.js';
import type { SessionSettings } from './session.js';

/** What the dashboard's pages and actions need. */
export interface DashboardDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  service: OperatorService;
  steps?: StepReader | undefined;
  feed: ChangeFeed;
  /** Session lifetimes and whether cookies are Secure. */
  sessions: SessionSettings;
}
