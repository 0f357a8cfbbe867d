import { encryptField } from '../../src/marketplace/protocol/field-crypto.js';
import { v1AuthToken, v2Signature } from '../../src/marketplace/protocol/signatures.js';
import type { BuiltRequest } from '../../src/simulator/marketplace/request-builder.js';
import { formatOrderTime } from '../../src/simulator/marketplace/time-format.js';
import type { Rng } from './random.js';
import type { Wire } from './wire.js';

/**
 * Valid KooGallery calls of every activity (spec §4, §5) with seeded values, and the signing of
 * arbitrary (possibly broken) requests into exact wire bytes.
 */
export type Protocol = 'v1' | 'v2';
export type Pairs = [string, string][];

export const v1Names = [
  'newInstance',
  'getLicense',
  'refreshInstance',
  'expireInstance',
  'releaseInstance',
  'upgrade',
  'instanceStatus',
  'queryInstance',
  'refreshLicense',
  'releaseLicense',
] as const;
export const v2Names = [
  'newInstance',
  'queryInstance',
  'refreshInstance',
  'updateInstanceStatus',
  'releaseInstance',
  'upgradeInstance',
  'orderNotify',
  'changeInstanceCheck',
  'getLicenseAsync',
  'refreshLicenseCode',
  'updateLicenseCodeStatus',
  'releaseLicenseCode',
] as const;

/** Activities acting on an existing instance: their target decides between 000000 and 000003. */
export const targeted = new Set([
  'refreshInstance',
  'expireInstance',
  'releaseInstance',
  'upgrade',
  'upgradeInstance',
  'instanceStatus',
  'updateInstanceStatus',
  'queryInstance',
  'refreshLicense',
  'releaseLicense',
  'changeInstanceCheck',
  'getLicenseAsync',
]);

/** Products without a template: their deployments fail at once, keeping the engine light. */
const products = ['FUZZ-PRODUCT-MONTH', 'FUZZ-PRODUCT-YEAR', 'FUZZ-PAYG'];

const orderId = (rng: Rng, prefix = 'FZ') => `${prefix}-${rng.hex(16).toUpperCase()}`;
export const unknownInstanceId = (rng: Rng) => `kgi-fuzz-${rng.hex(20)}`;
/** A license code the marketplace never issued to this seller: every event for it is 000003. */
const licenseCode = (rng: Rng) => `LC-FUZZ-${rng.hex(16).toUpperCase()}`;

function futureTime(rng: Rng): string {
  return formatOrderTime(new Date(Date.UTC(2027 + rng.int(0, 5), rng.int(0, 11), rng.int(1, 28))));
}

function iv(rng: Rng): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from({ length: 16 }, () => rng.pick([...alphabet])).join('');
}

function extendParams(rng: Rng, machineCode = false): string {
  const list = [{ name: 'region', value: rng.pick(['cn-north-4', 'ap-southeast-1']) }];
  if (machineCode) list.push({ name: 'machineCode', value: rng.hex(24) });
  if (rng.chance(0.3)) list.push({ name: 'adminEmail', value: `buyer${rng.int(1, 999)}@ex.com` });
  return Buffer.from(JSON.stringify(list)).toString('base64');
}

/**
 * The fields of one valid call (besides `activity`, `timeStamp`, the signature). V1 values are
 * strings (they travel in the query); V2 values are JSON. `target` is the instanceId (or
 * comma-separated ids for queryInstance) of a targeted activity.
 */
export function validFields(
  protocol: Protocol,
  activity: string,
  rng: Rng,
  key: string,
  target = '',
): Record<string, unknown> {
  const testFlag = rng.pick(['0', '0', '1']);
  const productId = rng.pick(products);
  if (protocol === 'v1') {
    switch (activity) {
      case 'newInstance':
      case 'getLicense': {
        const license = activity === 'getLicense';
        return {
          customerId: `c-${rng.hex(8)}`,
          customerName: rng.pick(['Fuzz Buyer', '测试买家', 'Ölçüm GmbH']),
          userId: `u-${rng.hex(8)}`,
          userName: `buyer-${rng.hex(4)}`,
          ...(license
            ? {}
            : {
                mobilePhone: encryptField(`138${rng.int(10_000_000, 99_999_999)}`, key, 1, iv(rng)),
                email: encryptField(`b${rng.hex(6)}@example.com`, key, 1, iv(rng)),
              }),
          businessId: rng.hex(24),
          orderId: orderId(rng),
          skuCode: rng.pick(['basic', 'pro']),
          productId,
          trialFlag: rng.pick(['0', '1']),
          expireTime: futureTime(rng),
          chargingMode: license ? '1' : rng.pick(['1', '3']),
          periodType: rng.pick(['month', 'year']),
          periodNumber: String(rng.int(1, 12)),
          orderAmount: `${rng.int(0, 9999)}.${rng.int(10, 99)}`,
          amount: String(rng.int(1, 100)),
          saasExtendParams: extendParams(rng, license),
          testFlag,
        };
      }
      case 'refreshInstance':
        return {
          instanceId: target,
          orderId: orderId(rng, 'RN'),
          productId,
          expireTime: futureTime(rng),
          ...(rng.chance(0.2) ? { trialToFormal: '1' } : {}),
          periodType: 'month',
          periodNumber: String(rng.int(1, 12)),
          orderAmount: rng.chance(0.1) ? '-10.00' : '120.00',
          testFlag,
        };
      case 'expireInstance':
        return { instanceId: target, testFlag };
      case 'releaseInstance':
        return { instanceId: target, orderId: orderId(rng, 'RL'), orderAmount: '0', testFlag };
      case 'upgrade':
        return {
          instanceId: target,
          orderId: orderId(rng, 'UP'),
          skuCode: 'pro',
          productId,
          amount: String(rng.int(2, 200)),
          diskSize: String(rng.int(40, 500)),
          bandWidth: String(rng.int(1, 100)),
          saasExtendParams: extendParams(rng),
          testFlag,
        };
      case 'instanceStatus':
        return { instanceId: target, instanceStatus: rng.pick(['FREEZE', 'NORMAL']), testFlag };
      case 'queryInstance':
        return { instanceId: target, testFlag };
      case 'refreshLicense':
        return {
          instanceId: target,
          orderId: orderId(rng, 'RN'),
          productId,
          expireTime: futureTime(rng),
          periodType: 'year',
          periodNumber: String(rng.int(1, 3)),
          testFlag,
        };
      case 'releaseLicense':
        return { instanceId: target, orderId: orderId(rng, 'RL'), testFlag };
    }
    throw new Error(`no V1 activity ${activity}`);
  }
  const flag = rng.chance(0.2) ? Number(testFlag) : testFlag;
  const line = (id: string) => `${id}-00000${rng.int(1, 3)}`;
  switch (activity) {
    case 'newInstance': {
      const id = orderId(rng);
      return { orderId: id, orderLineId: line(id), businessId: rng.hex(24), testFlag: flag };
    }
    case 'queryInstance':
      return { instanceId: target, testFlag: flag };
    case 'refreshInstance': {
      const id = orderId(rng, 'RN');
      return {
        scene: rng.pick([
          'TRIAL_TO_FORMAL',
          'RENEWAL',
          'UNSUBSCRIBE_RENEWAL_PERIOD',
          'RENEWAL_CHANGE',
        ]),
        orderId: id,
        orderLineId: line(id),
        instanceId: target,
        productId,
        expireTime: futureTime(rng),
        testFlag: flag,
      };
    }
    case 'updateInstanceStatus':
      return { instanceId: target, status: rng.pick(['FREEZE', 'UNFREEZE']), testFlag: flag };
    case 'releaseInstance': {
      const id = orderId(rng, 'RL');
      return { instanceId: target, orderId: id, orderLineId: line(id), testFlag: flag };
    }
    case 'upgradeInstance': {
      const id = orderId(rng, 'UP');
      return { instanceId: target, orderId: id, orderLineId: line(id), testFlag: flag };
    }
    case 'orderNotify': {
      const id = orderId(rng, 'ON');
      return { orderId: id, orderLineId: line(id), testFlag: flag };
    }
    case 'changeInstanceCheck':
      return {
        instanceId: target,
        productInfo: {
          productId,
          skuCode: rng.pick(['basic', 'pro']),
          ...(rng.chance(0.5) ? { linearValue: rng.int(1, 100) } : {}),
          productName: rng.pick(['Fuzz product', '模糊测试产品']),
        },
        testFlag: flag,
      };
    case 'getLicenseAsync': {
      const at = (d: Date) =>
        `${d.toISOString().slice(0, 19).replace('T', ' ')}${rng.pick([' z', 'Z', ' UTC', ''])}`;
      const start = Date.UTC(2026, rng.int(0, 11), rng.int(1, 28), rng.int(0, 23));
      return {
        instanceId: target,
        eventId: `EVT-${rng.hex(20)}`,
        effectiveTime: at(new Date(start)),
        ...(rng.chance(0.7) ? { expireTime: at(new Date(start + 365 * 86_400_000)) } : {}),
        ...(rng.chance(0.6)
          ? { deviceFingerprint: `${rng.hex(12).toUpperCase()}|DISK-${rng.hex(6)}|BOARD|CPU` }
          : {}),
        testFlag: flag,
      };
    }
    case 'refreshLicenseCode': {
      const id = orderId(rng, 'RN');
      return {
        scene: rng.pick(['RENEWAL', 'UNSUBSCRIBE_RENEWAL_PERIOD']),
        orderId: id,
        orderLineId: line(id),
        license: licenseCode(rng),
        ...(rng.chance(0.5) ? { productId } : {}),
        expireTime: rng.chance(0.8) ? futureTime(rng) : `${futureTime(rng)}${rng.int(100, 999)}`,
        testFlag: flag,
      };
    }
    case 'updateLicenseCodeStatus':
      return {
        license: licenseCode(rng),
        status: rng.pick(['FREEZE', 'UNFREEZE']),
        testFlag: flag,
      };
    case 'releaseLicenseCode': {
      const id = orderId(rng, 'RL');
      return {
        license: licenseCode(rng),
        ...(rng.chance(0.5) ? { orderId: id, orderLineId: line(id) } : {}),
        testFlag: flag,
      };
    }
  }
  throw new Error(`no V2 activity ${activity}`);
}

/** The older V2 purchase body with buyer and order inline (spec §5), also accepted. */
export function inlineNewInstance(rng: Rng): Record<string, unknown> {
  const id = orderId(rng);
  return {
    businessId: rng.hex(24),
    testFlag: '0',
    buyerInfo: { customerId: `c-${rng.hex(8)}`, customerName: 'Inline Buyer', userId: 'u-1' },
    orderInfo: [
      {
        businessId: rng.hex(24),
        orderId: id,
        orderLineId: `${id}-000001`,
        trialFlag: '0',
        orderAmount: 199,
        chargingMode: 1,
        periodType: 'month',
        periodNumber: 1,
        productInfo: [{ skuCode: 'basic', productId: rng.pick(products), linearValue: 2 }],
        expireTime: futureTime(rng),
        extendParams: [{ name: 'region', value: 'cn-north-4' }],
      },
    ],
  };
}

/** Query-string encoding of pairs, as the marketplace sends them. */
const encodePairs = (pairs: Pairs) =>
  pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');

/** V1: `activity`, the fields, `timeStamp`, then `authToken` over all of them (spec §2.1). */
export function signV1(pairs: Pairs, key: string): Pairs {
  return [...pairs, ['authToken', v1AuthToken(key, pairs)]];
}

export function v1Wire(path: string, pairs: Pairs): Wire {
  return { method: 'GET', path: `${path}?${encodePairs(pairs)}`, headers: {} };
}

/** V2: signature / timestamp / nonce over the raw body bytes (spec §2.2). */
export function signV2(
  body: Buffer,
  key: string,
  nonce: string,
  timestamp: string,
  inner: 'hmac' | 'sha256' = 'hmac',
): Pairs {
  return [
    ['signature', v2Signature(key, nonce, timestamp, body, inner)],
    ['timestamp', timestamp],
    ['nonce', nonce],
  ];
}

export function v2Wire(path: string, query: Pairs, body: Buffer, contentType?: string): Wire {
  return {
    method: 'POST',
    path: query.length > 0 ? `${path}?${encodePairs(query)}` : path,
    headers: { 'content-type': contentType ?? 'application/json;charset=UTF-8' },
    body,
  };
}

/** A request from the marketplace simulator's builder, as wire bytes. */
export function fromBuilt(built: BuiltRequest): Wire {
  const url = new URL(built.url);
  return {
    method: built.method,
    path: built.url.slice(url.origin.length),
    headers: built.headers,
    ...(built.body !== undefined ? { body: Buffer.from(built.body) } : {}),
  };
}
