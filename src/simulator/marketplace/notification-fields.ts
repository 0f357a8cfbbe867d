import { type EncryptType, encryptField } from '../../marketplace/protocol/field-crypto.js';
import type { ChargingMode, ExtendParam, Order, Terms } from './orders.js';
import { formatOrderTime, formatV1TimeStamp } from './time-format.js';

/**
 * The fields of each notification, per protocol (spec §4 for V1, §5 for V2), built from the order
 * book's orders and the instance's terms.
 */

/** V1 chargingMode codes: 1 periodic, 3 one-off (documented); 2 for pay-per-use (assumed). */
const v1ChargingMode: Record<ChargingMode, string> = {
  PERIOD: '1',
  ONE_TIME: '3',
  ON_DEMAND: '2',
  ON_DEMAND_PKG: '2',
};

/** `saasExtendParams`: base64 of the JSON array of buyer-entered name/value pairs. */
export function encodeExtendParams(params: ExtendParam[]): string | undefined {
  if (params.length === 0) return undefined;
  return Buffer.from(JSON.stringify(params), 'utf8').toString('base64');
}

const time = (d: Date | undefined) => (d ? formatOrderTime(d) : undefined);
/** `yyyyMMddHHmmssSSS`: V2 refreshInstance sends 17 digits (the documented example, spec §4). */
const preciseTime = (d: Date | undefined) => (d ? formatV1TimeStamp(d) : undefined);

function line(order: Order) {
  return order.orderLine[0]!;
}

export function v1NewInstance(
  order: Order,
  opts: { key: string; encryptType: EncryptType; businessId: string; testFlag: string },
): Record<string, unknown> {
  const l = line(order);
  const p = l.productInfo[0]!;
  const b = order.buyerInfo;
  return {
    customerId: b.customerId,
    customerName: b.customerName,
    userId: b.userId,
    userName: b.userName,
    mobilePhone: b.mobilePhone
      ? encryptField(b.mobilePhone, opts.key, opts.encryptType)
      : undefined,
    email: b.email ? encryptField(b.email, opts.key, opts.encryptType) : undefined,
    businessId: opts.businessId,
    orderId: order.orderId,
    skuCode: p.skuCode,
    productId: p.productId,
    trialFlag: order.orderType === 'TRIAL' ? '1' : '0',
    expireTime: time(l.expireTime),
    chargingMode: v1ChargingMode[l.chargingMode],
    periodType: l.periodType,
    periodNumber: l.periodNumber,
    orderAmount: l.orderAmount,
    provisionType: '1',
    amount: p.linearValue,
    saasExtendParams: encodeExtendParams(order.extendParams),
    testFlag: opts.testFlag,
  };
}

export function v2NewInstance(
  order: Order,
  opts: { businessId: string; testFlag: string; variant: 'thin' | 'inline' },
): Record<string, unknown> {
  const l = line(order);
  const thin = {
    orderId: order.orderId,
    orderLineId: l.orderLineId,
    businessId: opts.businessId,
    testFlag: opts.testFlag,
  };
  if (opts.variant === 'thin') return thin;
  // The older V2 body carries buyer and order inline; its field names follow V1.
  return {
    ...thin,
    buyerInfo: { ...order.buyerInfo },
    orderInfo: [
      {
        businessId: opts.businessId,
        orderId: order.orderId,
        orderLineId: l.orderLineId,
        trialFlag: order.orderType === 'TRIAL' ? '1' : '0',
        orderAmount: String(l.orderAmount),
        chargingMode: v1ChargingMode[l.chargingMode],
        periodType: l.periodType,
        periodNumber: l.periodNumber === undefined ? undefined : String(l.periodNumber),
        provisionType: '1',
        productInfo: l.productInfo.map((p) => ({
          skuCode: p.skuCode,
          productId: p.productId,
          linearValue: p.linearValue === undefined ? undefined : String(p.linearValue),
        })),
        createTime: formatOrderTime(order.createTime),
        expireTime: time(l.expireTime),
        extendParams: order.extendParams,
      },
    ],
  };
}

export type RenewalScene =
  | 'TRIAL_TO_FORMAL'
  | 'RENEWAL'
  | 'UNSUBSCRIBE_RENEWAL_PERIOD'
  | 'RENEWAL_CHANGE';

export function refreshFields(
  protocol: 'v1' | 'v2',
  order: Order,
  instanceId: string,
  testFlag: string,
  scene: RenewalScene,
): Record<string, unknown> {
  const l = line(order);
  const p = l.productInfo[0]!;
  if (protocol === 'v2') {
    return {
      scene,
      orderId: order.orderId,
      orderLineId: l.orderLineId,
      instanceId,
      productId: p.productId,
      expireTime: preciseTime(l.expireTime),
      testFlag,
    };
  }
  return {
    orderId: order.orderId,
    instanceId,
    productId: p.productId,
    expireTime: time(l.expireTime),
    trialToFormal: scene === 'TRIAL_TO_FORMAL' ? '1' : undefined,
    periodType: l.periodType,
    periodNumber: l.periodNumber,
    orderAmount: scene === 'UNSUBSCRIBE_RENEWAL_PERIOD' ? -Math.abs(l.orderAmount) : l.orderAmount,
    testFlag,
  };
}

export function upgradeFields(
  protocol: 'v1' | 'v2',
  order: Order,
  instanceId: string,
  testFlag: string,
): Record<string, unknown> {
  const l = line(order);
  const p = l.productInfo[0]!;
  if (protocol === 'v2') {
    return { instanceId, orderId: order.orderId, orderLineId: l.orderLineId, testFlag };
  }
  return {
    instanceId,
    orderId: order.orderId,
    skuCode: p.skuCode,
    productId: p.productId,
    amount: p.linearValue,
    saasExtendParams: encodeExtendParams(order.extendParams),
    testFlag,
  };
}

/**
 * changeInstanceCheck (V2, spec §6): the target of a change, asked before the change is sent. The
 * product's name is the marketplace's; the simulator names it after the product id.
 */
export function changeCheckFields(
  order: Order,
  instanceId: string,
  testFlag: string,
): Record<string, unknown> {
  const p = line(order).productInfo[0]!;
  return {
    instanceId,
    productInfo: {
      productId: p.productId,
      skuCode: p.skuCode,
      ...(p.linearValue === undefined ? {} : { linearValue: p.linearValue }),
      productName: p.productId.slice(0, 64),
    },
    testFlag,
  };
}

export function releaseFields(
  protocol: 'v1' | 'v2',
  instanceId: string,
  testFlag: string,
  order?: Order,
): Record<string, unknown> {
  const l = order ? line(order) : undefined;
  if (protocol === 'v2') {
    return { instanceId, orderId: order?.orderId, orderLineId: l?.orderLineId, testFlag };
  }
  return { instanceId, orderId: order?.orderId, orderAmount: l?.orderAmount, testFlag };
}

export function getLicenseFields(
  order: Order,
  opts: { businessId: string; testFlag: string },
): Record<string, unknown> {
  const l = line(order);
  const p = l.productInfo[0]!;
  return {
    customerId: order.buyerInfo.customerId,
    customerName: order.buyerInfo.customerName,
    businessId: opts.businessId,
    orderId: order.orderId,
    skuCode: p.skuCode,
    productId: p.productId,
    expireTime: time(l.expireTime),
    periodType: l.periodType,
    periodNumber: l.periodNumber,
    chargingMode: v1ChargingMode[l.chargingMode],
    amount: p.linearValue,
    saasExtendParams: encodeExtendParams(order.extendParams),
    testFlag: opts.testFlag,
  };
}

export function termsAfter(order: Order, previous: Terms): Terms {
  const l = line(order);
  return {
    ...previous,
    productInfo: l.productInfo[0]!,
    periodType: l.periodType ?? previous.periodType,
    periodNumber: l.periodNumber ?? previous.periodNumber,
    expireTime: l.expireTime ?? previous.expireTime,
    trial: order.orderType === 'TRIAL_TO_FORMAL' ? false : previous.trial,
  };
}

/** getLicenseAsync times (spec §4): `yyyy-MM-dd HH:mm:ss z`, UTC, as the documented example. */
export function licenseTime(at: Date): string {
  return `${at.toISOString().slice(0, 19).replace('T', ' ')} z`;
}
