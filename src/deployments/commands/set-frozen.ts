import type { Transaction } from 'kysely';
import type { Database } from '../../platform/db/schema.js';
import { isGone } from '../model/states.js';
import { insertOperation, lockInstance } from '../rows.js';
import type { CommandContext, Recorded } from './context.js';

export interface FreezeInput {
  instanceId: string;
  frozen: boolean;
  /** Why: the marketplace's expiry, or its freeze / unfreeze. */
  kind: 'expire' | 'freeze' | 'unfreeze';
  test: boolean;
}

/**
 * Expiry and freeze/unfreeze are idempotent on the instance's desired state, read under a row
 * lock: a second FREEZE while frozen is a duplicate, FREEZE → UNFREEZE → FREEZE are three changes.
 * Expiry keeps the buyer's data (spec §4): it freezes, it does not destroy. After a release there
 * is nothing left to freeze: a duplicate, which stops pointless marketplace retries.
 */
export async function setFrozen(
  tx: Transaction<Database>,
  input: FreezeInput,
  ctx: CommandContext,
): Promise<Recorded> {
  const inst = await lockInstance(tx, input.instanceId);
  if (!inst) return { kind: 'unknown' };
  if (isGone(inst.status) || inst.frozen === input.frozen)
    return { kind: 'duplicate', instanceId: inst.id };
  await tx
    .updateTable('instances')
    .set({ frozen: input.frozen, updated_at: ctx.now })
    .where('id', '=', inst.id)
    .execute();
  const op = await insertOperation(tx, {
    id: ctx.ids.next('op'),
    instance_id: inst.id,
    kind: input.kind,
    status: 'pending',
    idempotency_key: null,
    order_id: null,
    order_line_id: null,
    params: JSON.stringify({ frozen: input.frozen }),
    params_sealed: null,
    inbox_id: null,
    test: input.test,
    created_at: ctx.now,
  });
  if (!op) throw new Error('an operation without a key cannot be a duplicate');
  return { kind: 'recorded', instanceId: inst.id, operationId: op.id };
}
