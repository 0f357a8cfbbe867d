import type { Kysely } from 'kysely';
import type { Database, LicenseCode } from '../../platform/db/schema.js';
import type { CodeState } from '../ports.js';
import type { Tx } from '../rows.js';

export interface CodeStateInput {
  state: CodeState;
  /** Activated through this service now (activate answered success). */
  activated: boolean;
  /** Bind the code to this deployment (an operator's choice); else the one of the same order. */
  instanceId?: string | undefined;
}

/**
 * Records what the marketplace answered about a license code (activate or query, spec §8) into
 * the service's book of codes, so refreshLicenseCode / updateLicenseCodeStatus /
 * releaseLicenseCode for it are known. The code is bound to the deployment an operator names, or
 * to the deployment of the same order when there is exactly one; a binding, once made, stays.
 */
export async function recordCodeState(
  db: Kysely<Database>,
  input: CodeStateInput,
  now: Date,
): Promise<LicenseCode> {
  return db.transaction().execute(async (tx) => {
    const { state } = input;
    const instanceId = input.instanceId ?? (await sameOrderInstance(tx, state.orderId));
    if (input.instanceId) {
      const exists = await tx
        .selectFrom('instances')
        .select('id')
        .where('id', '=', input.instanceId)
        .executeTakeFirst();
      if (!exists) throw new Error(`no deployment ${input.instanceId} to bind the code to`);
    }
    const known = {
      ...(state.productId ? { product_id: state.productId } : {}),
      ...(state.orderId ? { order_id: state.orderId } : {}),
      ...(state.status ? { marketplace_status: state.status } : {}),
      ...(state.expireTime ? { expires_at: state.expireTime } : {}),
      ...(state.activateTime ? { activated_at: state.activateTime } : {}),
      ...(input.activated && !state.activateTime ? { activated_at: now } : {}),
    };
    return tx
      .insertInto('license_codes')
      .values({
        code: state.code,
        product_id: null,
        order_id: null,
        order_line_id: null,
        instance_id: instanceId ?? null,
        marketplace_status: null,
        released_at: null,
        expires_at: null,
        activated_at: null,
        ...known,
        answer: JSON.stringify(state.raw),
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.column('code').doUpdateSet((eb) => ({
          ...known,
          answer: JSON.stringify(state.raw),
          // An operator's binding replaces; otherwise the first binding stays.
          instance_id: input.instanceId
            ? input.instanceId
            : eb.fn.coalesce('license_codes.instance_id', eb.val(instanceId ?? null)),
          updated_at: now,
        })),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
  });
}

async function sameOrderInstance(tx: Tx, orderId: string | null): Promise<string | undefined> {
  if (!orderId) return undefined;
  const rows = await tx
    .selectFrom('instances')
    .select('id')
    .where('order_id', '=', orderId)
    .where('status', 'not in', ['releasing', 'released'])
    .limit(2)
    .execute();
  return rows.length === 1 ? rows[0]!.id : undefined;
}
