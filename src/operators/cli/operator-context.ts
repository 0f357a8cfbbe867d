import { userInfo } from 'node:os';
import { Writable } from 'node:stream';
import type { CloudApi } from '../../cloud/cloud-api.js';
import type { WorkflowControl } from '../../deployments/engine/workflow-control.js';
import type { InstanceSecrets } from '../../deployments/model/instance-secrets.js';
import type { LicenseCodeApi } from '../../deployments/ports.js';
import { CliError, type CliIo, exitCodes } from '../../platform/cli-io.js';
import { type Clock, systemClock } from '../../platform/clock.js';
import type { Config } from '../../platform/config.js';
import type { Db } from '../../platform/db/database.js';
import { ActionError } from '../../platform/errors.js';
import { createIds } from '../../platform/ids.js';
import type { Logger } from '../../platform/logger.js';
import type { SecretBox } from '../../platform/secrets.js';
import { createOperatorService, type OperatorService } from '../actions/operator-service.js';
import type { ReplayDeps } from '../actions/replay.js';

/** Exit codes of the operator commands: the shared ones, plus 4 for an action refused. */
export const operatorExitCodes = { ...exitCodes, refused: 4 } as const;

/** What an operator command works on: configuration, logger, database, secrets. */
interface OperatorRuntime {
  config: Config;
  logger: Logger;
  database: { db: Db; url: string };
  secretBox: SecretBox;
  secrets: InstanceSecrets;
  marketplaceKeys: string[];
  close(): Promise<void>;
}

/**
 * What the composition root hands the operator commands: how to open the runtime, the workflow
 * store and the configured cloud. The commands build nothing themselves.
 */
export interface OperatorHost {
  openRuntime(
    env: Record<string, string | undefined>,
    options: { applicationName: string; logDestination: NodeJS.WritableStream },
  ): Promise<OperatorRuntime>;
  openWorkflows(runtime: OperatorRuntime): Promise<WorkflowControl>;
  /** The configured cloud (real credentials or a `kgd simulator`); undefined when none is. */
  openCloud(
    runtime: OperatorRuntime,
  ): Promise<{ cloud: CloudApi; close(): Promise<void> } | undefined>;
  /** The marketplace's license-code APIs (spec §8) with the seller's AK/SK; undefined without. */
  openLicenseCodes(runtime: OperatorRuntime): Promise<LicenseCodeApi | undefined>;
}

/** The CLI's io, plus the host operator commands open their resources through. */
export interface OperatorIo extends CliIo {
  host: OperatorHost;
}

export interface OperatorContext {
  runtime: OperatorRuntime;
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

const cliActor = () => {
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
  io: OperatorIo,
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
  const runtime = await io.host.openRuntime(env, { applicationName: 'kgd-cli', logDestination });
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
      workflows ??= io.host.openWorkflows(runtime).then((w) => {
        closers.push(() => w.close());
        return w;
      });
      return workflows;
    },
    cloud() {
      cloud ??= (async () => {
        const opened = await io.host.openCloud(runtime);
        if (!opened) {
          throw new CliError(
            'the sweep needs a cloud: set KGD_CLOUD_AK, KGD_CLOUD_SK and KGD_CLOUD_PROJECT_ID (and KGD_CLOUD_ENDPOINT for a `kgd simulator`). The built-in simulator of `kgd serve` lives inside that process: use its dashboard (/dashboard/sweep) or GET /admin/sweep',
            exitCodes.config,
          );
        }
        closers.push(() => opened.close());
        return opened.cloud;
      })();
      return cloud;
    },
    async service(options = {}) {
      return createOperatorService({
        db: runtime.database.db,
        clock,
        ids: createIds(clock),
        secrets: runtime.secrets,
        workflows: await ctx.workflows(),
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

/** Maps an operator action's refusal to its exit code: unknown id 3, refused 4, bad input 2. */
export function toCliError(err: unknown): unknown {
  if (err instanceof ActionError) return new CliError(err.message, err.exitCode);
  return err;
}
