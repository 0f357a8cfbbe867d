import { z } from 'zod';
import type { Command, OrderDetails } from './commands.js';
import {
  amount,
  base64ExtendParams,
  compactTime,
  compactTimeMs,
  describeIssues,
  digits,
  flag01,
  instanceId,
  optionalText,
  testFlag,
  text,
} from './fields.js';

/** V1 (HTTP GET) activities, spec §4. Every value arrives as a string in the query. */
const common = {
  timeStamp: compactTimeMs,
  testFlag,
};

const orderFields = {
  customerId: optionalText(100),
  customerName: optionalText(256),
  userId: optionalText(64),
  userName: optionalText(256),
  mobilePhone: optionalText(512),
  email: optionalText(512),
  businessId: text(64),
  orderId: text(64),
  skuCode: text(64),
  productId: text(64),
  trialFlag: flag01,
  expireTime: compactTime.optional(),
  chargingMode: digits.optional(),
  periodType: optionalText(16),
  periodNumber: digits.optional(),
  orderAmount: amount.optional(),
  provisionType: optionalText(16),
  amount: digits.optional(),
  diskSize: digits.optional(),
  bandWidth: digits.optional(),
  saasExtendParams: base64ExtendParams.optional(),
};

/** One V1 activity: its schema and how its parsed form becomes a command. */
function activity<S extends z.ZodType>(schema: S, build: (p: z.output<S>) => ParseResult) {
  return (params: Record<string, string>): ParseResult => {
    const result = schema.safeParse(params);
    return result.success
      ? build(result.data)
      : { ok: false, message: describeIssues(result.error) };
  };
}

function linear(p: { amount?: string; diskSize?: string; bandWidth?: string }) {
  const out: Record<string, string> = {};
  if (p.amount !== undefined) out.amount = p.amount;
  if (p.diskSize !== undefined) out.diskSize = p.diskSize;
  if (p.bandWidth !== undefined) out.bandWidth = p.bandWidth;
  return out;
}

/**
 * A periodic purchase (chargingMode 1) carries its expiry (spec §5: `expireTime`, periodic
 * only). Without one the license issued would never expire, so the call is malformed (000002)
 * rather than bounded by a guess: the marketplace retries, and a real periodic order has it.
 */
const orderSchema = z
  .looseObject({ ...common, ...orderFields })
  .refine((p) => p.chargingMode !== '1' || p.expireTime !== undefined, {
    path: ['expireTime'],
    message: 'required for a periodic purchase (chargingMode 1)',
  });
const licenseSchema = z.looseObject({
  ...common,
  ...orderFields,
  businessId: optionalText(64),
  skuCode: optionalText(64),
  productId: optionalText(64),
});

function order(p: z.output<typeof licenseSchema>): OrderDetails {
  return {
    orderId: p.orderId,
    orderLineId: null,
    businessId: p.businessId ?? null,
    productId: p.productId ?? null,
    skuCode: p.skuCode ?? null,
    customerId: p.customerId ?? null,
    customerName: p.customerName ?? null,
    userId: p.userId ?? null,
    userName: p.userName ?? null,
    chargingMode: p.chargingMode ?? null,
    periodType: p.periodType ?? null,
    periodNumber: p.periodNumber === undefined ? null : Number(p.periodNumber),
    trial: p.trialFlag === '1',
    expireTime: p.expireTime ?? null,
    orderAmount: p.orderAmount ?? null,
    provisionType: p.provisionType ?? null,
    linear: linear(p),
    extendParams: p.saasExtendParams ?? [],
    contact: {
      ...(p.mobilePhone ? { mobilePhone: p.mobilePhone } : {}),
      ...(p.email ? { email: p.email } : {}),
    },
  };
}

const ok = (command: Command): ParseResult => ({ ok: true, command });

const activities = {
  newInstance: activity(orderSchema, (p) =>
    ok({ kind: 'new', test: p.testFlag, order: order(p), thin: false }),
  ),
  getLicense: activity(licenseSchema, (p) =>
    ok({ kind: 'license', test: p.testFlag, order: order(p) }),
  ),
  // The old-licence activities of the getLicense guide (spec §5): renewal re-issues the license
  // with the new expiry, release revokes it (the one release of the instance).
  refreshLicense: activity(
    z.looseObject({
      ...common,
      instanceId,
      orderId: text(64),
      productId: optionalText(64),
      expireTime: compactTime,
      periodType: optionalText(16),
      periodNumber: digits.optional(),
    }),
    (r) =>
      ok({
        kind: 'license-renew',
        test: r.testFlag,
        instanceId: r.instanceId,
        orderId: r.orderId,
        productId: r.productId ?? null,
        expireTime: r.expireTime,
        periodType: r.periodType ?? null,
        periodNumber: r.periodNumber === undefined ? null : Number(r.periodNumber),
      }),
  ),
  releaseLicense: activity(z.looseObject({ ...common, instanceId, orderId: text(64) }), (r) =>
    ok({
      kind: 'release',
      test: r.testFlag,
      instanceId: r.instanceId,
      orderId: r.orderId,
      orderLineId: null,
    }),
  ),
  refreshInstance: activity(
    z.looseObject({
      ...common,
      instanceId,
      orderId: text(64),
      productId: optionalText(64),
      expireTime: compactTime.optional(),
      trialToFormal: flag01,
      periodType: optionalText(16),
      periodNumber: digits.optional(),
      orderAmount: amount.optional(),
    }),
    (r) => {
      // A negative amount is a cancelled renewal period (spec §4): the expiry moves back.
      const cancelled = r.orderAmount !== undefined && Number(r.orderAmount) < 0;
      return ok({
        kind: 'renew',
        test: r.testFlag,
        instanceId: r.instanceId,
        orderId: r.orderId,
        orderLineId: null,
        productId: r.productId ?? null,
        expireTime: r.expireTime ?? null,
        scene:
          r.trialToFormal === '1'
            ? 'TRIAL_TO_FORMAL'
            : cancelled
              ? 'UNSUBSCRIBE_RENEWAL_PERIOD'
              : 'RENEWAL',
        periodType: r.periodType ?? null,
        periodNumber: r.periodNumber === undefined ? null : Number(r.periodNumber),
        orderAmount: r.orderAmount ?? null,
      });
    },
  ),
  expireInstance: activity(z.looseObject({ ...common, instanceId }), (r) =>
    ok({ kind: 'expire', test: r.testFlag, instanceId: r.instanceId }),
  ),
  releaseInstance: activity(
    z.looseObject({
      ...common,
      instanceId,
      orderId: optionalText(64),
      orderAmount: amount.optional(),
    }),
    (r) =>
      ok({
        kind: 'release',
        test: r.testFlag,
        instanceId: r.instanceId,
        orderId: r.orderId ?? null,
        orderLineId: null,
      }),
  ),
  upgrade: activity(
    z.looseObject({
      ...common,
      instanceId,
      orderId: text(64),
      skuCode: optionalText(64),
      productId: optionalText(64),
      amount: digits.optional(),
      diskSize: digits.optional(),
      bandWidth: digits.optional(),
      saasExtendParams: base64ExtendParams.optional(),
    }),
    (r) =>
      ok({
        kind: 'upgrade',
        test: r.testFlag,
        instanceId: r.instanceId,
        orderId: r.orderId,
        orderLineId: null,
        productId: r.productId ?? null,
        skuCode: r.skuCode ?? null,
        linear: linear(r),
        extendParams: r.saasExtendParams ?? [],
      }),
  ),
  instanceStatus: activity(
    z.looseObject({
      ...common,
      instanceId,
      instanceStatus: z.enum(['FREEZE', 'NORMAL'], { error: 'expected FREEZE or NORMAL' }),
    }),
    (r) =>
      ok({
        kind: 'status',
        test: r.testFlag,
        instanceId: r.instanceId,
        frozen: r.instanceStatus === 'FREEZE',
      }),
  ),
  queryInstance: activity(z.looseObject({ ...common, instanceId: text(64 * 100 + 99) }), (r) =>
    queryCommand(r.instanceId, r.testFlag),
  ),
};

const v1Activities = Object.keys(activities);

export type ParseResult = { ok: true; command: Command } | { ok: false; message: string };

/** Parses an authenticated V1 call into a command, or says which field is wrong. */
export function parseV1(name: string, params: Record<string, string>): ParseResult {
  const parse = Object.hasOwn(activities, name)
    ? activities[name as keyof typeof activities]
    : undefined;
  if (!parse) {
    return {
      ok: false,
      message: `activity: unknown V1 activity '${name.slice(0, 40)}' (expected one of ${v1Activities.join(', ')})`,
    };
  }
  return parse(params);
}

export function queryCommand(list: string, test: boolean): ParseResult {
  const ids = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (ids.length === 0)
    return { ok: false, message: 'instanceId: expected one or more ids separated by commas' };
  if (ids.length > 100) return { ok: false, message: 'instanceId: at most 100 ids per query' };
  const tooLong = ids.find((id) => id.length > 64);
  if (tooLong)
    return {
      ok: false,
      message: `instanceId: '${tooLong.slice(0, 20)}…' is longer than 64 characters`,
    };
  return { ok: true, command: { kind: 'query', test, instanceIds: [...new Set(ids)] } };
}
