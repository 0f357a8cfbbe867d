import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import type { IamRegistry, Principal } from '../iam/registry.js';
import type { EipPool } from './eip-pool.js';
import type { Faults } from './faults.js';
import type { HostsBridge } from './hosts-bridge.js';
import type { Latency } from './latency.js';
import type { Random } from './random.js';
import type { RateLimiter } from './rate-limit.js';
import type { Scheduler } from './scheduler.js';
import type { CloudStore } from './store.js';

export interface ApiStats {
  calls: number;
  /** Answered by an injected fault. */
  faulted: number;
  /** Answered 429 by the rate limiter. */
  throttled: number;
  /** Error answers by the code they carried (Ecs.0100, VPC.0209, APIGW.0308...), faults included. */
  refusals: Record<string, number>;
}

/** Everything the simulator's routes and lifecycles share; one per simulator instance. */
export interface SimContext {
  store: CloudStore;
  clock: Clock;
  /** What X-Sdk-Date is checked against: the wall clock the SDK signs with, even when `clock` is fake. */
  authClock: Clock;
  scheduler: Scheduler;
  latency: Latency;
  faults: Faults;
  rateLimits: RateLimiter;
  hosts: HostsBridge;
  eipPool: EipPool;
  random: Random;
  uuid: () => string;
  logger: Logger;
  /**
   * The account's own key and the project this context serves: one context per project of every
   * simulated account (the seller's is the default one).
   */
  credentials: { ak: string; sk: string; projectId: string };
  /** Accounts, agencies and temporary keys, shared by every project. */
  iam: IamRegistry;
  stats: Map<string, ApiStats>;
  /** Told of every API call as it arrives (the deploy benchmark's per-step call counts). */
  onCall?: ((api: string) => void) | undefined;
  /** Requests held open by a timeout fault; released on stop. */
  holds: Set<() => void>;
}

export type SimEnv = {
  Variables: {
    requestId: string;
    rawBody: string;
    api: string;
    caller: Principal;
    errorCode: string;
  };
};

export const nowIso = (ctx: Pick<SimContext, 'clock'>) =>
  ctx.clock
    .now()
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z');
