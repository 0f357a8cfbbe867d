import type { Transaction } from 'kysely';
import type { Database, InstanceStatus } from '../../platform/db/schema.js';
import { releaseKey } from '../model/keys.js';
import { isGone, openOperation } from '../model/states.js';
import { insertOperation, lockInstance } from '../rows.js';
import type { CommandContext } from './context.js';

export interface ReleaseInput {
  instanceId: string;
  /** Who asks: the marketplace (releaseInstance), an order change it reported, or an operator. */
  by: 'marketplace' | 'order-change' | 'operator';
  orderId?: string | null;
  orderLineId?: string | null;
  actor?: string;
  reason?: string;
}

export type ReleaseResult =
  | { kind: 'unknown' }
  | { kind: 'duplicate'; instanceId: string; status: InstanceStatus }
  | { kind: 'recorded'; instanceId: string; operationId: string };

/**
 * The one release: locks the instance, records one release operation per instance (a repeat is a
 * duplicate, whoever asks), marks it releasing and asks every operation in flight for it to stop
 * at its next step; the release, queued behind them, then tears everything down. A live License
 * upload is let finish: the marketplace was answered for its event and waits for the file, and
 * it touches no resource of the instance.
 */
export async function requestRelease(
  tx: Transaction<Database>,
  input: ReleaseInput,
  ctx: CommandContext,
): Promise<ReleaseResult> {
  const inst = await lockInstance(tx, input.instanceId);
  if (!inst) return { kind: 'unknown' };
  const op = await insertOperation(tx, {
    id: ctx.ids.next('op'),
    instance_id: inst.id,
    kind: 'release',
    status: 'pending',
    idempotency_key: releaseKey(inst.id),
    order_id: input.orderId ?? inst.order_id,
    order_line_id: input.orderLineId ?? null,
    params: JSON.stringify({
      by: input.by,
      ...(input.actor ? { actor: input.actor } : {}),
      ...(input.reason ? { reason: input.reason } : {}),
    }),
    params_sealed: null,
    inbox_id: null,
    test: inst.test,
    created_at: ctx.now,
  });
  if (!op) return { kind: 'duplicate', instanceId: inst.id, status: inst.status };
  if (!isGone(inst.status)) {
    await tx
      .updateTable('instances')
      .set({ status: 'releasing', updated_at: ctx.now })
      .where('id', '=', inst.id)
      .execute();
  }
  await tx
    .updateTable('operations')
    .set({ cancel_requested_at: ctx.now })
    .where('instance_id', '=', inst.id)
    .where('kind', 'not in', ['release', 'license-upload'])
    .where('status', 'in', openOperation)
    .where('cancel_requested_at', 'is', null)
    .execute();
  return { kind: 'recorded', instanceId: inst.id, operationId: op.id };
}
