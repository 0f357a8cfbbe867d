import { userInfo } from 'node:os';
import { Writable } from 'node:stream';
import { openRuntime, type Runtime } from '../../app/runtime.js';
import type { CloudApi } from '../../cloud/cloud-api.js';
import { createOperatorActions } from '../../deployments/operator-actions.js';
import { openWorkflowControl, type WorkflowControl } from '../../deployments/workflow-control.js';
import { CliError, type CliIo, exitCodes } from '../../platform/cli-io.js';
import { type Clock, systemClock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/database.js';
import { createIds } from '../../platform/ids.js';
import { openCloud } from '../../simulator/cloud/open-cloud.js';
import { createOperatorService, type OperatorService } from '../actions/operator-service.js';
import type { ReplayDeps } from '../actions/replay.js';
import { operatorErrorCode } from '../errors.js';

/** Exit codes of the operator commands: the shared ones, plus 4 for an action refused. */
export const operatorExitCodes = { ...exitCodes, refused: 4 } as const;

export interface OperatorContext {
  runtime: Runtime;
  db: Db;
  clock: Clock;
  /** `cli:<os user>`: who the audit log says acted. */
  actor: string;
  /** DBOS workflow state (steps, rewind); opened on first use, closed at the end. */
  workflows(): Promise<WorkflowControl>;
  /** The audited operator actions. */
  service(options?: {
    cloud?: CloudApi;
    replay?: ReplayDeps;
    onSweepProgress?: (m: string) => void;
  }): Promise<OperatorService>;
  /** The configured cloud, for the sweep: real credentials (or `kgd simulator`) only. */
  cloud(): Promise<CloudApi>;
}

export const cliActor = () => {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {}
  return `cli:${user}`;
};

/**
 * Opens what an operator command needs (configuration, database, lazily the workflow store and
 * the cloud), runs `use`, and closes everything. Logs go to stderr at warn, so stdout holds only
 * what the command prints.
 */
export async function withOperator<T>(
  io: CliIo,
  use: (ctx: OperatorContext) => Promise<T>,
  deps: { clock?: Clock } = {},
): Promise<T> {
  const logDestination = new Writable({
    write(chunk, _enc, done) {
      io.stderr.write(chunk.toString());
      done();
    },
  });
  const env = { ...io.env, KGD_LOG_LEVEL: io.env.KGD_LOG_LEVEL ?? 'warn' };
  const runtime = await openRuntime(env, { applicationName: 'kgd-cli', logDestination });
  const clock = deps.clock ?? systemClock;
  const closers: Array<() => Promise<void>> = [];
  let workflows: Promise<WorkflowControl> | undefined;
  let cloud: Promise<CloudApi> | undefined;
  const ctx: OperatorContext = {
    runtime,
    db: runtime.database.db,
    clock,
    actor: cliActor(),
    workflows() {
      workflows ??= openWorkflowControl(runtime.database.url, runtime.logger).then((w) => {
        closers.push(() => w.close());
        return w;
      });
      return workflows;
    },
    cloud() {
      cloud ??= (async () => {
        const c = runtime.config.cloud;
        if (!c.ak || !c.sk) {
          throw new CliError(
            'the sweep needs a cloud: set KGD_CLOUD_AK, KGD_CLOUD_SK and KGD_CLOUD_PROJECT_ID (and KGD_CLOUD_ENDPOINT for a `kgd simulator`). The built-in simulator of `kgd serve` lives inside that process: use its dashboard (/dashboard/sweep) or GET /admin/sweep',
            exitCodes.config,
          );
        }
        const opened = await openCloud(
          { ...c, enterpriseProjectId: c.enterpriseProjectId, sharedNetwork: c.sharedNetwork },
          { logger: runtime.logger },
        );
        closers.push(() => opened.close());
        return opened.cloud;
      })();
      return cloud;
    },
    async service(options = {}) {
      const engine = createOperatorActions({
        db: runtime.database.db,
        clock,
        ids: createIds(clock),
        workflows: await ctx.workflows(),
      });
      return createOperatorService({
        db: runtime.database.db,
        clock,
        engine,
        cloud: options.cloud,
        replay: options.replay,
        ...(options.onSweepProgress ? { onSweepProgress: options.onSweepProgress } : {}),
      });
    },
  };
  try {
    return await use(ctx);
  } catch (err) {
    throw toCliError(err);
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {});
    await runtime.close();
  }
}

/** Maps operator errors to exit codes: unknown id 3, refused 4, bad input 2, unavailable 1. */
export function toCliError(err: unknown): unknown {
  if (err instanceof CliError) return err;
  const code = operatorErrorCode(err);
  const message = (err as Error).message;
  if (code === 'NOT_FOUND') return new CliError(message, operatorExitCodes.notFound);
  if (code === 'CONFLICT') return new CliError(message, operatorExitCodes.refused);
  if (code === 'INVALID_REQUEST') return new CliError(message, operatorExitCodes.usage);
  if (code === 'UNAVAILABLE') return new CliError(message, operatorExitCodes.failure);
  return err;
}
