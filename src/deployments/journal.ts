import type { Db } from '../platform/db/database.js';
import type { OperationLog } from '../platform/db/schema.js';
import type { Logger, SecretScrubber } from '../platform/logger.js';

/**
 * The deployment log operators read (`kgd deployments logs`): step messages and hook output,
 * scrubbed of every secret the deployment knows, in the database next to the operation.
 */
export interface Journal {
  write(entry: {
    operationId: string;
    instanceId: string | null;
    level: OperationLog['level'];
    step?: string;
    stream?: string;
    message: string;
  }): Promise<void>;
}

export function createJournal(deps: {
  db: Db;
  logger: Logger;
  scrubber: SecretScrubber;
  now: () => Date;
}): Journal {
  return {
    async write(entry) {
      const message = deps.scrubber.scrub(entry.message).slice(0, 8000);
      deps.logger[entry.level === 'debug' ? 'debug' : entry.level](
        {
          operationId: entry.operationId,
          instanceId: entry.instanceId,
          step: entry.step,
          stream: entry.stream,
        },
        message,
      );
      await deps.db
        .insertInto('operation_logs')
        .values({
          operation_id: entry.operationId,
          instance_id: entry.instanceId,
          at: deps.now(),
          level: entry.level,
          step: entry.step ?? null,
          stream: entry.stream ?? null,
          message,
        })
        .execute();
    },
  };
}
