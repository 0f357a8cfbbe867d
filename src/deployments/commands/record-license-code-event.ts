import type { Transaction } from 'kysely';
import type { Database, LicenseCode } from '../../platform/db/schema.js';
import type { LicenseCodeRules } from '../../products/product-schema.js';
import { codeReleaseKey, codeRenewalKey } from '../model/keys.js';
import type { CommandContext } from './context.js';
import { recordRenewal } from './record-renewal.js';
import { requestRelease } from './request-release.js';
import { setFrozen } from './set-frozen.js';

/** refreshLicenseCode (spec §8): the code's period moved (renewed, or a renewal cancelled). */
export interface CodeRenewal {
  activity: 'refreshLicenseCode';
  code: string;
  scene: 'RENEWAL' | 'UNSUBSCRIBE_RENEWAL_PERIOD';
  orderId: string;
  orderLineId: string;
  productId: string | null;
  expireTime: Date;
}

/** updateLicenseCodeStatus: FREEZE after the grace period, UNFREEZE after a renewal. */
export interface CodeStatusChange {
  activity: 'updateLicenseCodeStatus';
  code: string;
  frozen: boolean;
}

/** releaseLicenseCode: after the retention period or an unsubscription. */
export interface CodeRelease {
  activity: 'releaseLicenseCode';
  code: string;
  orderId: string | null;
  orderLineId: string | null;
}

export type CodeEvent = CodeRenewal | CodeStatusChange | CodeRelease;

export type CodeEventResult =
  | { kind: 'unknown' }
  | {
      kind: 'recorded' | 'duplicate';
      effect: string;
      instanceId: string | null;
      operationId: string | null;
      idempotencyKey: string;
    };

interface Effect {
  effect: string;
  instanceId?: string | null;
  operationId?: string | null;
}

/**
 * Records one license-code event and applies what the product's rules say, once: the marketplace
 * sends each up to 60 times, every 2 minutes (spec §10), so a resend finds its event and changes
 * nothing. Renewal and release are keyed on their order (renewal) or the code (release); a status
 * change is idempotent on the code's state, as freeze/unfreeze of an instance is (FREEZE, UNFREEZE,
 * FREEZE are three changes). A code this service never activated or queried is unknown (000003).
 */
export async function recordLicenseCodeEvent(
  tx: Transaction<Database>,
  event: CodeEvent,
  rules: LicenseCodeRules,
  ctx: CommandContext,
): Promise<CodeEventResult> {
  const code = await tx
    .selectFrom('license_codes')
    .selectAll()
    .where('code', '=', event.code)
    .forUpdate()
    .executeTakeFirst();
  if (!code) return { kind: 'unknown' };
  const key = eventKey(event, code, ctx);
  const seen = await tx
    .selectFrom('license_code_events')
    .select(['effect', 'operation_id'])
    .where('idempotency_key', '=', key)
    .executeTakeFirst();
  const unchanged =
    event.activity === 'updateLicenseCodeStatus' &&
    (code.frozen === event.frozen || code.released_at !== null);
  if (seen || unchanged)
    return {
      kind: 'duplicate',
      effect: seen?.effect ?? 'unchanged',
      instanceId: code.instance_id,
      operationId: seen?.operation_id ?? null,
      idempotencyKey: key,
    };
  const done = await apply(tx, event, code, rules, ctx);
  await tx
    .insertInto('license_code_events')
    .values({
      code: code.code,
      activity: event.activity,
      idempotency_key: key,
      params: JSON.stringify(paramsOf(event)),
      effect: done.effect,
      operation_id: done.operationId ?? null,
      at: ctx.now,
    })
    .execute();
  return {
    kind: 'recorded',
    effect: done.effect,
    instanceId: done.instanceId ?? code.instance_id,
    operationId: done.operationId ?? null,
    idempotencyKey: key,
  };
}

function eventKey(event: CodeEvent, code: LicenseCode, ctx: CommandContext): string {
  switch (event.activity) {
    case 'refreshLicenseCode':
      return codeRenewalKey(event.code, event.orderId, event.orderLineId, event.scene);
    case 'releaseLicenseCode':
      return codeReleaseKey(code.code);
    case 'updateLicenseCodeStatus':
      // A change of state (checked above): its own key.
      return `code-status:${code.code}:${event.frozen ? 'FREEZE' : 'UNFREEZE'}:${ctx.ids.next('ev')}`;
  }
}

function paramsOf(event: CodeEvent): Record<string, unknown> {
  const { activity: _activity, code: _code, ...rest } = event;
  return 'expireTime' in rest ? { ...rest, expireTime: rest.expireTime.toISOString() } : rest;
}

async function apply(
  tx: Transaction<Database>,
  event: CodeEvent,
  code: LicenseCode,
  rules: LicenseCodeRules,
  ctx: CommandContext,
): Promise<Effect> {
  const update = (set: Partial<Omit<LicenseCode, 'code' | 'answer'>>) =>
    tx
      .updateTable('license_codes')
      .set({ ...set, updated_at: ctx.now })
      .where('code', '=', code.code)
      .execute();
  const bound = code.instance_id;
  switch (event.activity) {
    case 'refreshLicenseCode': {
      if (rules.renew === 'none') return { effect: 'acknowledged (product rule: none)' };
      if (code.released_at) return { effect: 'ignored: the code was released' };
      await update({
        expires_at: event.expireTime,
        ...(event.productId && !code.product_id ? { product_id: event.productId } : {}),
      });
      if (rules.renew !== 'renew-deployment' || !bound) return { effect: 'expiry recorded' };
      const r = await recordRenewal(
        tx,
        {
          instanceId: bound,
          orderId: event.orderId,
          orderLineId: event.orderLineId,
          scene: event.scene,
          productId: event.productId,
          expireTime: event.expireTime,
          periodType: null,
          periodNumber: null,
          orderAmount: null,
          test: false,
        },
        ctx,
      );
      return deploymentEffect('expiry recorded, deployment renewed', r, bound);
    }
    case 'updateLicenseCodeStatus': {
      const word = event.frozen ? 'frozen' : 'unfrozen';
      if (rules.status === 'none') return { effect: 'acknowledged (product rule: none)' };
      await update({ frozen: event.frozen });
      if (rules.status !== 'freeze-deployment' || !bound) return { effect: `code ${word}` };
      const kind = event.frozen ? 'freeze' : 'unfreeze';
      const r = await setFrozen(
        tx,
        { instanceId: bound, frozen: event.frozen, kind, test: false },
        ctx,
      );
      return deploymentEffect(`code ${word}, deployment ${word}`, r, bound);
    }
    case 'releaseLicenseCode': {
      if (rules.release === 'none') return { effect: 'acknowledged (product rule: none)' };
      await update({ released_at: ctx.now });
      if (rules.release !== 'release-deployment' || !bound) return { effect: 'code released' };
      const r = await requestRelease(
        tx,
        {
          instanceId: bound,
          by: 'marketplace',
          orderId: event.orderId,
          orderLineId: event.orderLineId,
        },
        ctx,
      );
      return deploymentEffect('code released, deployment released', r, bound);
    }
  }
}

function deploymentEffect(
  effect: string,
  r:
    | { kind: 'unknown' }
    | { kind: 'duplicate' | 'recorded'; instanceId: string; operationId?: string },
  bound: string,
): Effect {
  if (r.kind === 'unknown')
    return { effect: `${effect.split(',')[0]} (deployment ${bound} is gone)` };
  return {
    effect,
    instanceId: r.instanceId,
    operationId: r.kind === 'recorded' ? (r.operationId ?? null) : null,
  };
}
