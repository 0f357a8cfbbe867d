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
