import { z } from 'zod';
import type { Command, OrderDetails } from './commands.js';
import {
  compactTimeEitherPrecision,
  describeIssues,
  extendParamList,
  instanceId,
  licenseTime,
  optionalText,
  testFlag,
  text,
} from './fields.js';
import { type ParseResult, queryCommand } from './v1.js';

/** V2 (HTTP POST JSON) activities, spec §5. Unknown fields are kept (the marketplace adds fields). */
const scalar = z.union([z.string(), z.number()]).transform(String);
const optScalar = (max: number) =>
  scalar.pipe(z.string().max(max, `at most ${max} characters`)).optional();

const thinNew = z.looseObject({
  orderId: text(64),
  orderLineId: text(64),
  businessId: text(64),
  testFlag,
});

const inlineNew = z.looseObject({
  businessId: optionalText(64),
  testFlag,
  buyerInfo: z.looseObject({
    customerId: optionalText(100),
    customerName: optionalText(256),
    userId: optionalText(64),
    userName: optionalText(256),
    mobilePhone: optionalText(512),
    email: optionalText(512),
  }),
  orderInfo: z
    .array(
      z.looseObject({
        businessId: optionalText(64),
        orderId: text(64),
        orderLineId: optionalText(64),
        trialFlag: optScalar(1),
        orderAmount: optScalar(32),
        chargingMode: optScalar(32),
        periodType: optionalText(16),
        periodNumber: optScalar(9),
        provisionType: optScalar(16),
        productInfo: z
          .array(
            z.looseObject({
              skuCode: optionalText(64),
              productId: optionalText(64),
              linearValue: optScalar(32),
            }),
          )
          .optional(),
        createTime: compactTimeEitherPrecision.optional(),
        expireTime: compactTimeEitherPrecision.optional(),
        extendParams: extendParamList.optional(),
      }),
    )
    .min(1, 'expected at least one order'),
});

const schemas = {
  queryInstance: z.looseObject({ instanceId: text(64 * 100 + 99), testFlag }),
  refreshInstance: z.looseObject({
    scene: z.enum(['TRIAL_TO_FORMAL', 'RENEWAL', 'UNSUBSCRIBE_RENEWAL_PERIOD', 'RENEWAL_CHANGE'], {
      error: 'expected TRIAL_TO_FORMAL, RENEWAL, UNSUBSCRIBE_RENEWAL_PERIOD or RENEWAL_CHANGE',
    }),
    orderId: text(64),
    orderLineId: optionalText(64),
    instanceId,
    productId: optionalText(64),
    expireTime: compactTimeEitherPrecision.optional(),
    testFlag,
  }),
  updateInstanceStatus: z.looseObject({
    instanceId,
    status: z.enum(['FREEZE', 'UNFREEZE'], { error: 'expected FREEZE or UNFREEZE' }),
    testFlag,
  }),
  releaseInstance: z.looseObject({
    instanceId,
    orderId: optionalText(64),
    orderLineId: optionalText(64),
    testFlag,
  }),
  upgradeInstance: z.looseObject({
    instanceId,
    orderId: text(64),
    orderLineId: optionalText(64),
    testFlag,
  }),
  orderNotify: z.looseObject({ orderId: text(64), orderLineId: optionalText(64), testFlag }),
  changeInstanceCheck: z.looseObject({
    instanceId,
    productInfo: z.looseObject(
      {
        productId: text(64),
        skuCode: text(64),
        linearValue: z
          .union(
            [
              z.number().int().min(0),
              z
                .string()
                .regex(/^\d{1,9}$/)
                .transform(Number),
            ],
            {
              error: 'expected a whole number',
            },
          )
          .optional(),
        productName: text(64),
      },
      { error: 'required, an object {productId, skuCode, linearValue?, productName}' },
    ),
    testFlag,
  }),
  // License codes 2.0 (spec §8). refreshLicenseCode's expireTime is documented as
  // yyyyMMddHHmmss; the 17-digit form V2 refreshInstance's example uses is accepted too.
  refreshLicenseCode: z.looseObject({
    scene: z.enum(['RENEWAL', 'UNSUBSCRIBE_RENEWAL_PERIOD'], {
      error: 'expected RENEWAL or UNSUBSCRIBE_RENEWAL_PERIOD',
    }),
    orderId: text(64),
    orderLineId: text(64),
    license: text(64),
    productId: optionalText(64),
    expireTime: compactTimeEitherPrecision,
    testFlag,
  }),
  updateLicenseCodeStatus: z.looseObject({
    license: text(64),
    status: z.enum(['FREEZE', 'UNFREEZE'], { error: 'expected FREEZE or UNFREEZE' }),
    testFlag,
  }),
  releaseLicenseCode: z.looseObject({
    license: text(64),
    orderId: optionalText(64),
    orderLineId: optionalText(64),
    testFlag,
  }),
  getLicenseAsync: z.looseObject({
    instanceId,
    eventId: text(64),
    effectiveTime: licenseTime,
    expireTime: licenseTime.optional(),
    deviceFingerprint: optionalText(1024),
    testFlag,
  }),
};

const v2Activities = ['newInstance', ...Object.keys(schemas)];

function fromInline(body: z.output<typeof inlineNew>): OrderDetails {
  const o = body.orderInfo[0]!;
  const product = o.productInfo?.[0];
  const b = body.buyerInfo;
  return {
    orderId: o.orderId,
    orderLineId: o.orderLineId ?? null,
    businessId: o.businessId ?? body.businessId ?? null,
    productId: product?.productId ?? null,
    skuCode: product?.skuCode ?? null,
    customerId: b.customerId ?? null,
    customerName: b.customerName ?? null,
    userId: b.userId ?? null,
    userName: b.userName ?? null,
    chargingMode: o.chargingMode ?? null,
    periodType: o.periodType ?? null,
    periodNumber: o.periodNumber === undefined ? null : Number(o.periodNumber),
    trial: o.trialFlag === '1',
    expireTime: o.expireTime ?? null,
    orderAmount: o.orderAmount ?? null,
    provisionType: o.provisionType ?? null,
    linear: product?.linearValue ? { linearValue: product.linearValue } : {},
    extendParams: o.extendParams ?? [],
    contact: {
      ...(b.mobilePhone ? { mobilePhone: b.mobilePhone } : {}),
      ...(b.email ? { email: b.email } : {}),
    },
  };
}

function fromThin(body: z.output<typeof thinNew>): OrderDetails {
  return {
    orderId: body.orderId,
    orderLineId: body.orderLineId,
    businessId: body.businessId,
    productId: null,
    skuCode: null,
    customerId: null,
    customerName: null,
    userId: null,
    userName: null,
    chargingMode: null,
    periodType: null,
    periodNumber: null,
    trial: false,
    expireTime: null,
    orderAmount: null,
    provisionType: null,
    linear: {},
    extendParams: [],
    contact: {},
  };
}

/** Parses an authenticated V2 body (already JSON) into a command, or says which field is wrong. */
export function parseV2(body: Record<string, unknown>): ParseResult {
  const activity = body.activity;
  if (typeof activity !== 'string') return { ok: false, message: 'activity: required, a string' };
  if (activity === 'newInstance') {
    if ('orderInfo' in body || 'buyerInfo' in body) {
      const r = inlineNew.safeParse(body);
      if (!r.success) return { ok: false, message: describeIssues(r.error) };
      return {
        ok: true,
        command: { kind: 'new', test: r.data.testFlag, order: fromInline(r.data), thin: false },
      };
    }
    const r = thinNew.safeParse(body);
    if (!r.success) return { ok: false, message: describeIssues(r.error) };
    return {
      ok: true,
      command: { kind: 'new', test: r.data.testFlag, order: fromThin(r.data), thin: true },
    };
  }
  if (!Object.hasOwn(schemas, activity)) {
    return {
      ok: false,
      message: `activity: unknown V2 activity '${activity.slice(0, 40)}' (expected one of ${v2Activities.join(', ')})`,
    };
  }
  const result = schemas[activity as keyof typeof schemas].safeParse(body);
  if (!result.success) return { ok: false, message: describeIssues(result.error) };
  if (activity === 'queryInstance') {
    const d = result.data as z.output<typeof schemas.queryInstance>;
    return queryCommand(d.instanceId, d.testFlag);
  }
  return {
    ok: true,
    command: toCommand(activity as Exclude<keyof typeof schemas, 'queryInstance'>, result.data),
  };
}

function toCommand(
  activity: Exclude<keyof typeof schemas, 'queryInstance'>,
  data: unknown,
): Command {
  switch (activity) {
    case 'refreshInstance': {
      const d = data as z.output<typeof schemas.refreshInstance>;
      return {
        kind: 'renew',
        test: d.testFlag,
        instanceId: d.instanceId,
        orderId: d.orderId,
        orderLineId: d.orderLineId ?? null,
        productId: d.productId ?? null,
        expireTime: d.expireTime ?? null,
        scene: d.scene,
        periodType: null,
        periodNumber: null,
        orderAmount: null,
      };
    }
    case 'updateInstanceStatus': {
      const d = data as z.output<typeof schemas.updateInstanceStatus>;
      return {
        kind: 'status',
        test: d.testFlag,
        instanceId: d.instanceId,
        frozen: d.status === 'FREEZE',
      };
    }
    case 'releaseInstance': {
      const d = data as z.output<typeof schemas.releaseInstance>;
      return {
        kind: 'release',
        test: d.testFlag,
        instanceId: d.instanceId,
        orderId: d.orderId ?? null,
        orderLineId: d.orderLineId ?? null,
      };
    }
    case 'upgradeInstance': {
      const d = data as z.output<typeof schemas.upgradeInstance>;
      return {
        kind: 'upgrade',
        test: d.testFlag,
        instanceId: d.instanceId,
        orderId: d.orderId,
        orderLineId: d.orderLineId ?? null,
        productId: null,
        skuCode: null,
        linear: {},
        extendParams: [],
      };
    }
    case 'changeInstanceCheck': {
      const d = data as z.output<typeof schemas.changeInstanceCheck>;
      return {
        kind: 'changeCheck',
        test: d.testFlag,
        instanceId: d.instanceId,
        productId: d.productInfo.productId,
        skuCode: d.productInfo.skuCode,
        linearValue: d.productInfo.linearValue ?? null,
      };
    }
    case 'getLicenseAsync': {
      const d = data as z.output<typeof schemas.getLicenseAsync>;
      return {
        kind: 'license-async',
        test: d.testFlag,
        instanceId: d.instanceId,
        eventId: d.eventId,
        effectiveTime: d.effectiveTime,
        expireTime: d.expireTime ?? null,
        deviceFingerprint: d.deviceFingerprint ?? null,
      };
    }
    case 'refreshLicenseCode': {
      const d = data as z.output<typeof schemas.refreshLicenseCode>;
      return {
        kind: 'code-renew',
        test: d.testFlag,
        code: d.license,
        scene: d.scene,
        orderId: d.orderId,
        orderLineId: d.orderLineId,
        productId: d.productId ?? null,
        expireTime: d.expireTime,
      };
    }
    case 'updateLicenseCodeStatus': {
      const d = data as z.output<typeof schemas.updateLicenseCodeStatus>;
      return {
        kind: 'code-status',
        test: d.testFlag,
        code: d.license,
        frozen: d.status === 'FREEZE',
      };
    }
    case 'releaseLicenseCode': {
      const d = data as z.output<typeof schemas.releaseLicenseCode>;
      return {
        kind: 'code-release',
        test: d.testFlag,
        code: d.license,
        orderId: d.orderId ?? null,
        orderLineId: d.orderLineId ?? null,
      };
    }
    case 'orderNotify': {
      const d = data as z.output<typeof schemas.orderNotify>;
      return {
        kind: 'notify',
        test: d.testFlag,
        orderId: d.orderId,
        orderLineId: d.orderLineId ?? null,
      };
    }
  }
}
