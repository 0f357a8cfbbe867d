import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/database.js';
import type { Logger, SecretScrubber } from '../platform/logger.js';
import type { Journal } from './ports.js';

/**
 * The journal in the database, next to the operation (`kgd deployments logs` reads it), and in the
 * service log; every message scrubbed of every secret the service knows.
 */
export function createJournal(deps: {
  db: Db;
  logger: Logger;
  scrubber: SecretScrubber;
  clock: Clock;
}): Journal {
  return {
    async write(entry) {
      const message = deps.scrubber.scrub(entry.message).slice(0, 8000);
      deps.logger[entry.level](
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
          at: deps.clock.now(),
          level: entry.level,
          step: entry.step ?? null,
          stream: entry.stream ?? null,
          message,
        })
        .execute();
    },
  };
}
