import { recordLicenseOrder } from '../../deployments/commands/record-license.js';
import { recordLicenseRenewal } from '../../deployments/commands/record-license-renewal.js';
import { licenseKey, licenseRenewalKey } from '../../deployments/model/keys.js';
import { answer, ResultCode } from '../protocol/answers.js';
import type { Command } from '../protocol/commands.js';
import { commandContext, type HandlerContext, type Outcome, outcome } from './context.js';
import { isTestInstance, nothingToDo } from './test-calls.js';

/** Extension parameters that carry the buyer's machine code (the names sellers use). */
const machineCodeNames = /^(machine[-_ ]?code|machineCode|fingerprint|hardware[-_ ]?id|机器码)$/i;

/**
 * V1 getLicense (License products the buyer installs): the license is issued in the same
 * transaction that records the call; a resent order returns the same license.
 */
export async function handleGetLicense(
  ctx: HandlerContext,
  cmd: Extract<Command, { kind: 'license' }>,
): Promise<Outcome> {
  const { order } = cmd;
  if (order.chargingMode === '1' && !order.expireTime)
    return outcome(
      answer(
        ResultCode.licenseExpiryMissing,
        'expireTime is required for a periodic (chargingMode 1) license',
      ),
    );
  const r = await recordLicenseOrder(
    ctx.tx,
    {
      protocol: ctx.protocol,
      order,
      test: cmd.test,
      limits: order.linear.amount ? { amount: Number(order.linear.amount) } : {},
      machineCode: order.extendParams.find((p) => machineCodeNames.test(p.name))?.value,
    },
    { ...commandContext(ctx), licenses: ctx.deps.licenses },
  );
  return outcome(
    { ...answer(ResultCode.ok), instanceId: r.instance.id, license: r.license },
    {
      idempotencyKey: licenseKey(order.orderId, order.productId),
      duplicate: r.duplicate,
      instanceId: r.instance.id,
      operationId: r.operationId,
    },
  );
}

/**
 * V1 refreshLicense (spec §5): the order's license re-issued with the new expiry, answered with
 * `instanceId` and `license` as getLicense is (the answer's fields are not documented; the buyer
 * needs the new license, and the offline flow hands it over in the answer: inferred). A resend of
 * the renewal order answers the same license. A test call acts on test instances only.
 */
export async function handleLicenseRenewal(
  ctx: HandlerContext,
  cmd: Extract<Command, { kind: 'license-renew' }>,
): Promise<Outcome> {
  if (cmd.test && !(await isTestInstance(ctx, cmd.instanceId))) return nothingToDo(cmd.instanceId);
  const r = await recordLicenseRenewal(ctx.tx, cmd, {
    ...commandContext(ctx),
    licenses: ctx.deps.licenses,
  });
  if (r.kind === 'unknown')
    return cmd.test
      ? nothingToDo(cmd.instanceId)
      : outcome(
          answer(
            ResultCode.unknownInstance,
            `instance ${cmd.instanceId.slice(0, 64)} does not exist`,
          ),
        );
  return outcome(
    { ...answer(ResultCode.ok), instanceId: r.instanceId, license: r.license },
    {
      idempotencyKey: licenseRenewalKey(cmd.instanceId, cmd.orderId),
      duplicate: r.duplicate,
      instanceId: r.instanceId,
      operationId: r.operationId,
    },
  );
}
