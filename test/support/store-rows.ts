import type { Db } from '../../src/platform/db/database.js';
import type { Instance, Operation } from '../../src/platform/db/schema.js';
import { instanceDefaults } from './fakes/store.js';

/**
 * Instance and operation rows put straight into a test database, with the same defaults as the
 * fake store's `seedInstance` / `seedOperation`: for tests of code that reads rows the commands
 * would have written (the DeploymentStore contract seeds both implementations alike).
 *
 * @example
 *   await insertInstanceRow(db, { id: 'kgi-1', status: 'ready' }, clock.now());
 *   await insertOperationRow(db, { id: 'op_1', instance_id: 'kgi-1', kind: 'deploy' }, clock.now());
 */
export async function insertInstanceRow(
  db: Db,
  row: Partial<Instance> & { id: string },
  now: Date,
): Promise<void> {
  const { order_params, ...rest } = row;
  await db
    .insertInto('instances')
    .values({
      ...instanceDefaults(row.id, now),
      ...rest,
      order_params: JSON.stringify(order_params ?? {}),
    })
    .execute();
}

export async function insertOperationRow(
  db: Db,
  row: Partial<Operation> & { id: string; kind: Operation['kind'] },
  now: Date,
): Promise<void> {
  const { seq: _seq, params, overrides, error, ...rest } = row;
  await db
    .insertInto('operations')
    .values({
      instance_id: null,
      status: 'pending',
      idempotency_key: null,
      order_id: null,
      order_line_id: null,
      params_sealed: null,
      inbox_id: null,
      test: false,
      attempts: 0,
      workflow_id: null,
      created_at: now,
      started_at: null,
      finished_at: null,
      cancel_requested_at: null,
      failed_step: null,
      reruns: 0,
      enqueued_at: null,
      ...rest,
      params: JSON.stringify(params ?? {}),
      overrides: JSON.stringify(overrides ?? {}),
      error: error ? JSON.stringify(error) : null,
    })
    .execute();
}
