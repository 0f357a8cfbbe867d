/**
 * The field rules of spec §4–5 (the maximum lengths and formats the README documents), written
 * independently of the gateway's zod schemas: the fuzzer's oracle for "is this authenticated
 * call well-formed?".
 */
type Rule = (v: unknown) => boolean;
export interface ActivityRules {
  required: Record<string, Rule>;
  optional: Record<string, Rule>;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const text =
  (max: number): Rule =>
  (v) =>
    isString(v) && v.length >= 1 && v.length <= max;
const oneOf =
  (...values: unknown[]): Rule =>
  (v) =>
    values.includes(v);
const matches =
  (re: RegExp): Rule =>
  (v) =>
    isString(v) && re.test(v);

/** `yyyyMMddHHmmss` naming a real UTC instant. */
const time14: Rule = (v) => {
  if (!isString(v) || !/^\d{14}$/.test(v)) return false;
  const iso = `${v.slice(0, 4)}-${v.slice(4, 6)}-${v.slice(6, 8)}T${v.slice(8, 10)}:${v.slice(10, 12)}:${v.slice(12, 14)}Z`;
  const at = new Date(iso);
  return !Number.isNaN(at.getTime()) && at.toISOString().slice(0, 19) === iso.slice(0, 19);
};
const digits = matches(/^\d{1,9}$/);
const amount = matches(/^-?\d{1,15}(\.\d{1,6})?$/);
const flag01 = oneOf('0', '1');
/** `[{name, value}]`, at most 10, names 1–128 characters, values string / number / boolean. */
const extendList: Rule = (v) =>
  Array.isArray(v) &&
  v.length <= 10 &&
  v.every((item) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return false;
    const { name, value } = item as { name?: unknown; value?: unknown };
    return (
      isString(name) &&
      name.length >= 1 &&
      name.length <= 128 &&
      (isString(value) || typeof value === 'boolean' || Number.isFinite(value))
    );
  });

/** V1 `saasExtendParams`: base64 (standard or URL-safe) of the JSON list. */
const base64List: Rule = (v) => {
  if (!isString(v)) return false;
  const b64 = v.replace(/-/g, '+').replace(/_/g, '/').replace(/\s/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 === 1) return false;
  try {
    return extendList(JSON.parse(Buffer.from(b64, 'base64').toString('utf8')));
  } catch {
    return false;
  }
};

export function decodeBase64List(v: string): { name: string; value: unknown }[] {
  const b64 = v.replace(/-/g, '+').replace(/_/g, '/').replace(/\s/g, '');
  return JSON.parse(Buffer.from(b64, 'base64').toString('utf8'));
}

const id64 = text(64);
/** The id list of queryInstance: up to 100 ids of up to 64 characters (6,499 with commas). */
const idList = text(64 * 100 + 99);

const v1Order: ActivityRules = {
  required: { businessId: id64, orderId: id64, skuCode: id64, productId: id64 },
  optional: {
    customerId: id64,
    customerName: text(256),
    userId: id64,
    userName: text(256),
    mobilePhone: text(512),
    email: text(512),
    trialFlag: flag01,
    expireTime: time14,
    chargingMode: digits,
    periodType: text(16),
    periodNumber: digits,
    orderAmount: amount,
    provisionType: text(16),
    amount: digits,
    diskSize: digits,
    bandWidth: digits,
    saasExtendParams: base64List,
  },
};

const v1Common = { testFlag: flag01 };

export const v1Rules: Record<string, ActivityRules> = {
  newInstance: { required: v1Order.required, optional: { ...v1Order.optional, ...v1Common } },
  getLicense: {
    required: { orderId: id64 },
    optional: {
      ...v1Order.optional,
      businessId: id64,
      skuCode: id64,
      productId: id64,
      ...v1Common,
    },
  },
  refreshInstance: {
    required: { instanceId: id64, orderId: id64 },
    optional: {
      productId: id64,
      expireTime: time14,
      trialToFormal: flag01,
      periodType: text(16),
      periodNumber: digits,
      orderAmount: amount,
      ...v1Common,
    },
  },
  expireInstance: { required: { instanceId: id64 }, optional: v1Common },
  releaseInstance: {
    required: { instanceId: id64 },
    optional: { orderId: id64, orderAmount: amount, ...v1Common },
  },
  upgrade: {
    required: { instanceId: id64, orderId: id64 },
    optional: {
      skuCode: id64,
      productId: id64,
      amount: digits,
      diskSize: digits,
      bandWidth: digits,
      saasExtendParams: base64List,
      ...v1Common,
    },
  },
  instanceStatus: {
    required: { instanceId: id64, instanceStatus: oneOf('FREEZE', 'NORMAL') },
    optional: v1Common,
  },
  queryInstance: { required: { instanceId: idList }, optional: v1Common },
  // The old License guide's renewal and release (spec §5).
  refreshLicense: {
    required: { instanceId: id64, orderId: id64, expireTime: time14 },
    optional: { productId: id64, periodType: text(16), periodNumber: digits, ...v1Common },
  },
  releaseLicense: { required: { instanceId: id64, orderId: id64 }, optional: v1Common },
};

const v2Common = { testFlag: oneOf('0', '1', 0, 1) };

/** `yyyyMMddHHmmss` or `yyyyMMddHHmmssSSS`, a real instant either way. */
const time14or17: Rule = (v) =>
  isString(v) && (time14(v) || (/^\d{17}$/.test(v) && time14(v.slice(0, 14))));
/** getLicenseAsync times: `yyyy-MM-dd HH:mm:ss`, UTC, with an optional zone token, ≤ 32. */
const spacedTime: Rule = (v) => {
  if (!isString(v) || v.length > 32) return false;
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\s*(z|Z|UTC|GMT|\+00:00))?$/.exec(v);
  return !!m && time14(`${m[1]}${m[2]}${m[3]}${m[4]}${m[5]}${m[6]}`);
};
/** changeInstanceCheck's target product. */
const productInfo: Rule = (v) => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const p = v as Record<string, unknown>;
  const linear = p.linearValue;
  const linearOk =
    linear === undefined ||
    (typeof linear === 'number' && Number.isInteger(linear) && linear >= 0) ||
    (isString(linear) && /^\d{1,9}$/.test(linear));
  return id64(p.productId) && id64(p.skuCode) && text(64)(p.productName) && linearOk;
};

export const v2Rules: Record<string, ActivityRules> = {
  newInstance: {
    required: { orderId: id64, orderLineId: id64, businessId: id64 },
    optional: v2Common,
  },
  queryInstance: { required: { instanceId: idList }, optional: v2Common },
  refreshInstance: {
    required: {
      scene: oneOf('TRIAL_TO_FORMAL', 'RENEWAL', 'UNSUBSCRIBE_RENEWAL_PERIOD', 'RENEWAL_CHANGE'),
      orderId: id64,
      instanceId: id64,
    },
    optional: { orderLineId: id64, productId: id64, expireTime: time14, ...v2Common },
  },
  updateInstanceStatus: {
    required: { instanceId: id64, status: oneOf('FREEZE', 'UNFREEZE') },
    optional: v2Common,
  },
  releaseInstance: {
    required: { instanceId: id64 },
    optional: { orderId: id64, orderLineId: id64, ...v2Common },
  },
  upgradeInstance: {
    required: { instanceId: id64, orderId: id64 },
    optional: { orderLineId: id64, ...v2Common },
  },
  orderNotify: { required: { orderId: id64 }, optional: { orderLineId: id64, ...v2Common } },
  changeInstanceCheck: { required: { instanceId: id64, productInfo }, optional: v2Common },
  getLicenseAsync: {
    required: { instanceId: id64, eventId: id64, effectiveTime: spacedTime },
    optional: { expireTime: spacedTime, deviceFingerprint: text(1024), ...v2Common },
  },
  // License codes 2.0 (spec §8).
  refreshLicenseCode: {
    required: {
      scene: oneOf('RENEWAL', 'UNSUBSCRIBE_RENEWAL_PERIOD'),
      orderId: id64,
      orderLineId: id64,
      license: id64,
      expireTime: time14or17,
    },
    optional: { productId: id64, ...v2Common },
  },
  updateLicenseCodeStatus: {
    required: { license: id64, status: oneOf('FREEZE', 'UNFREEZE') },
    optional: v2Common,
  },
  releaseLicenseCode: {
    required: { license: id64 },
    optional: { orderId: id64, orderLineId: id64, ...v2Common },
  },
};

/** The inline purchase body's own rules are not modelled: only its presence is recognised. */
export const inlineMarkers = ['orderInfo', 'buyerInfo'];

/** Every field the rules name holds a valid value; required ones are present. */
export function followsRules(rules: ActivityRules, fields: Record<string, unknown>): boolean {
  for (const [name, rule] of Object.entries(rules.required)) {
    if (!Object.hasOwn(fields, name) || !rule(fields[name])) return false;
  }
  for (const [name, rule] of Object.entries(rules.optional)) {
    if (Object.hasOwn(fields, name) && fields[name] !== undefined && !rule(fields[name]))
      return false;
  }
  return true;
}
