import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../platform/db/schema.js';
import { changeBlockedBy, openOperation } from '../model/states.js';

/** The product's rule on sku changes: why `from` may not become `to`, or undefined. */
export type SkuChangeRule = (
  from: { productId: string | null; skuCode: string | null },
  to: { productId: string; skuCode: string },
) => string | undefined;

export interface ChangeTarget {
  instanceId: string;
  productId: string;
  skuCode: string;
}

export type ChangeCheck =
  | { kind: 'unknown' }
  | { kind: 'allowed'; instanceId: string }
  | { kind: 'refused'; instanceId: string; reason: string };

/**
 * Whether an instance may change to another sku at renewal: the instance's state (deployed, not
 * released, no operation under way) and the product's sku rules. Reads only, records nothing.
 */
export async function checkChange(
  db: Kysely<Database> | Transaction<Database>,
  target: ChangeTarget,
  skuChange: SkuChangeRule,
): Promise<ChangeCheck> {
  const inst = await db
    .selectFrom('instances')
    .select(['id', 'status', 'product_id', 'sku_code'])
    .where('id', '=', target.instanceId)
    .executeTakeFirst();
  if (!inst) return { kind: 'unknown' };
  const refused = (reason: string): ChangeCheck => ({
    kind: 'refused',
    instanceId: inst.id,
    reason,
  });
  const blocked = changeBlockedBy(inst.status);
  if (blocked) return refused(blocked);
  const open = await db
    .selectFrom('operations')
    .select(['kind', 'status'])
    .where('instance_id', '=', inst.id)
    .where('status', 'in', openOperation)
    .orderBy('seq')
    .executeTakeFirst();
  if (open) return refused(`a ${open.kind} operation is ${open.status} on the instance`);
  const rule = skuChange(
    { productId: inst.product_id, skuCode: inst.sku_code },
    { productId: target.productId, skuCode: target.skuCode },
  );
  return rule ? refused(rule) : { kind: 'allowed', instanceId: inst.id };
}
