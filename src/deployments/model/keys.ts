/**
 * Idempotency keys: what makes two marketplace calls (or an operator action and a call) the same
 * request. An operation's key is unique in the database, so a resend finds the first one.
 */
export interface PurchaseKeyInput {
  orderId: string;
  orderLineId: string | null;
  productId: string | null;
  chargingMode: string | null;
}

/**
 * Spec §7: the same order (orderId, plus orderLineId in V2, plus productId for pay-per-use) is one
 * purchase however often it is sent. chargingMode 1 (periodic) and 3 (one-off) key on the order.
 */
export function purchaseKey(order: PurchaseKeyInput): string {
  const payPerUse =
    order.chargingMode !== null && !['1', '3', 'PERIOD', 'ONE_TIME'].includes(order.chargingMode);
  const line = order.orderLineId ?? (payPerUse ? `product:${order.productId ?? '-'}` : '-');
  return `new:${order.orderId}:${line}`;
}

export const licenseKey = (orderId: string, productId: string | null) =>
  `license:${orderId}:${productId ?? '-'}`;

export const renewalKey = (
  instanceId: string,
  orderId: string,
  orderLineId: string | null,
  scene: string,
) => `renew:${instanceId}:${orderId}:${orderLineId ?? '-'}:${scene}`;

export const upgradeKey = (instanceId: string, orderId: string, orderLineId: string | null) =>
  `upgrade:${instanceId}:${orderId}:${orderLineId ?? '-'}`;

/** One release per instance, whoever asks for it. */
export const releaseKey = (instanceId: string) => `release:${instanceId}`;

/** getLicenseAsync: one license upload per marketplace event, however often it is resent. */
export const licenseUploadKey = (eventId: string) => `license-upload:${eventId}`;

export const orderChangeKey = (orderId: string, orderLineId: string | null) =>
  `notify:${orderId}:${orderLineId ?? '-'}`;

/** V1 refreshLicense: one re-issued license per instance and renewal order. */
export const licenseRenewalKey = (instanceId: string, orderId: string) =>
  `license-renew:${instanceId}:${orderId}`;

/** License codes 2.0 (spec §8): a renewal per code and order line, one release per code. */
export const codeRenewalKey = (code: string, orderId: string, orderLineId: string, scene: string) =>
  `code-renew:${code}:${orderId}:${orderLineId}:${scene}`;

export const codeReleaseKey = (code: string) => `code-release:${code}`;
