import { recordLicenseUpload } from '../../deployments/commands/record-license-upload.js';
import { licenseUploadKey } from '../../deployments/model/keys.js';
import { answer, ResultCode } from '../protocol/answers.js';
import type { Command } from '../protocol/commands.js';
import { commandContext, type HandlerContext, type Outcome, outcome } from './context.js';

/**
 * getLicenseAsync (V2, 在线开通License, spec §7.1): recorded as a `license-upload` operation; the
 * engine renders the license and uploads it for the event. Answers 000004 until the upload is
 * done, then 000000 to resends of the same event.
 */
export async function handleGetLicenseAsync(
  ctx: HandlerContext,
  cmd: Extract<Command, { kind: 'license-async' }>,
): Promise<Outcome> {
  const product = await ctx.tx
    .selectFrom('instances')
    .select(['product_id', 'sku_code'])
    .where('id', '=', cmd.instanceId)
    .executeTakeFirst();
  if (
    product &&
    !cmd.deviceFingerprint &&
    ctx.deps.bindsDevice?.(product.product_id, product.sku_code)
  )
    return outcome(
      answer(
        ResultCode.licenseDeviceMissing,
        'deviceFingerprint is required: this product binds its license to the device',
      ),
    );
  const r = await recordLicenseUpload(ctx.tx, cmd, commandContext(ctx));
  const key = licenseUploadKey(cmd.eventId);
  if (r.kind === 'unknown')
    return outcome(answer(ResultCode.unknownInstance), { idempotencyKey: key });
  if (r.kind === 'conflict')
    return outcome(
      answer(
        ResultCode.invalidRequest,
        `eventId ${cmd.eventId} was already requested with another deviceFingerprint`,
      ),
      { idempotencyKey: key, operationId: r.operationId },
    );
  const done = r.kind === 'duplicate' && r.uploaded;
  return outcome(answer(done ? ResultCode.ok : ResultCode.inProgress), {
    idempotencyKey: key,
    duplicate: r.kind === 'duplicate',
    instanceId: r.instanceId,
    operationId: r.operationId,
    wake: r.kind === 'recorded' ? [r.instanceId] : [],
  });
}
