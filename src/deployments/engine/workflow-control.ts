import { DBOSClient } from '@dbos-inc/dbos-sdk';
import type { Logger } from '../../platform/logger.js';
import type { StepOutcome } from './step-errors.js';

/**
 * The part of DBOS operators act through: read a workflow's steps, rewind it. A `DBOSClient`
 * (no executor), so a CLI process beside `kgd serve` can do it as well as the service itself.
 */
export interface StepRecord {
  functionId: number;
  name: string;
  /** The step's failure (after its retries), or null. */
  error: string | null;
  startedAt: number | undefined;
  completedAt: number | undefined;
}

export interface WorkflowControl {
  listSteps(workflowId: string): Promise<StepRecord[]>;
  rewind(
    workflowId: string,
    options: { startStep: number; queueName: string; queuePartitionKey: string },
  ): Promise<void>;
  close(): Promise<void>;
}

/** A step's failure as the runner checkpointed it (engine/steps.ts), or DBOS's own error. */
function errorOf(output: unknown, error: Error | null): string | null {
  if (error) return error.message;
  const outcome = output as StepOutcome<unknown> | null;
  if (outcome && typeof outcome === 'object' && outcome.ok === false) return outcome.error.message;
  return null;
}

export async function openWorkflowControl(
  databaseUrl: string,
  logger: Logger,
): Promise<WorkflowControl> {
  const log = logger.child({ component: 'dbos-client' });
  const client = await DBOSClient.create({
    systemDatabaseUrl: databaseUrl,
    systemDatabaseSchemaName: 'dbos',
    systemDatabasePoolSize: 2,
    applicationName: 'koogallery-deployer',
    logger: {
      info: (e: unknown) => log.debug(String(e)),
      debug: (e: unknown) => log.debug(String(e)),
      warn: (e: unknown) => log.warn(String(e)),
      error: (e: unknown) => log.error(String(e)),
    },
  });
  return {
    async listSteps(workflowId) {
      const steps = (await client.listWorkflowSteps(workflowId)) ?? [];
      return steps.map((s) => ({
        functionId: s.functionID,
        name: s.name,
        error: errorOf(s.output, s.error),
        startedAt: s.startedAtEpochMs,
        completedAt: s.completedAtEpochMs,
      }));
    },
    async rewind(workflowId, options) {
      await client.rewindWorkflow(workflowId, options);
    },
    close: () => client.destroy(),
  };
}
