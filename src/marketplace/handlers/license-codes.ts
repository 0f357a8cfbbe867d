import {
  type CodeEvent,
  recordLicenseCodeEvent,
} from '../../deployments/commands/record-license-code-event.js';
import { licenseCodeRules } from '../../products/product-schema.js';
import { answer, ResultCode } from '../protocol/answers.js';
import type { Command } from '../protocol/commands.js';
import { commandContext, type HandlerContext, type Outcome, outcome } from './context.js';

type CodeCommand = Extract<Command, { kind: 'code-renew' | 'code-status' | 'code-release' }>;

/** A product without a template (or no catalog): record, act on no deployment. */
const defaultRules = licenseCodeRules.parse(undefined);

function toEvent(cmd: CodeCommand): CodeEvent {
  switch (cmd.kind) {
    case 'code-renew':
      return {
        activity: 'refreshLicenseCode',
        code: cmd.code,
        scene: cmd.scene,
        orderId: cmd.orderId,
        orderLineId: cmd.orderLineId,
        productId: cmd.productId,
        expireTime: cmd.expireTime,
      };
    case 'code-status':
      return { activity: 'updateLicenseCodeStatus', code: cmd.code, frozen: cmd.frozen };
    case 'code-release':
      return {
        activity: 'releaseLicenseCode',
        code: cmd.code,
        orderId: cmd.orderId,
        orderLineId: cmd.orderLineId,
      };
  }
}

/**
 * refreshLicenseCode, updateLicenseCodeStatus, releaseLicenseCode (License codes 2.0, spec §8):
 * recorded once and acted on as the code's product says (`marketplace.licenseCodes`). A debug call
 * (testFlag=1) is answered 000000 for any code and changes nothing (spec §11); a real call for a
 * code this service does not know is answered 000003 (license code does not exist).
 */
export async function handleLicenseCode(ctx: HandlerContext, cmd: CodeCommand): Promise<Outcome> {
  if (cmd.test)
    return outcome(
      answer(ResultCode.ok, `test call: license code ${cmd.code.slice(0, 64)}, nothing done`),
    );
  const row = await ctx.tx
    .selectFrom('license_codes')
    .select('product_id')
    .where('code', '=', cmd.code)
    .executeTakeFirst();
  const productId = row?.product_id ?? (cmd.kind === 'code-renew' ? cmd.productId : null);
  const rules = ctx.deps.licenseCodeRules?.(productId) ?? defaultRules;
  const r = await recordLicenseCodeEvent(ctx.tx, toEvent(cmd), rules, commandContext(ctx));
  if (r.kind === 'unknown')
    return outcome(
      answer(ResultCode.unknownInstance, `license code ${cmd.code.slice(0, 64)} does not exist`),
    );
  return outcome(answer(ResultCode.ok), {
    idempotencyKey: r.idempotencyKey,
    duplicate: r.kind === 'duplicate',
    instanceId: r.instanceId,
    operationId: r.operationId,
    wake: r.kind === 'recorded' && r.operationId ? [r.instanceId] : [],
  });
}
