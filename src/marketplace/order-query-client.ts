import { z } from 'zod';
import { signRequest } from '../platform/apig-signing.js';
import type { Clock } from '../platform/clock.js';
import { type RetryPolicy, realSleep, retry } from '../platform/retry.js';
import { compactTime, extendParamList } from './activities/fields.js';

/**
 * Seller → KooGallery order query (spec §6): `GET /api/mkp-openapi-public/global/v1/order/query`,
 * signed with the seller's Huawei AK/SK. V2 notifications are thin; the engine reads buyer,
 * product, sku, period and extension parameters from here. Parsed leniently: unknown fields are
 * kept (`raw`), the fields the project uses are validated.
 */
const PATH = '/api/mkp-openapi-public/global/v1/order/query';

const scalar = z.union([z.string(), z.number()]).transform(String);

const orderLine = z.looseObject({
  orderLineId: z.string().min(1),
  chargingMode: scalar.optional(),
  periodType: z.string().optional(),
  periodNumber: z.coerce.number().int().optional(),
  expireTime: compactTime.optional(),
  productInfo: z
    .array(
      z.looseObject({
        skuCode: z.string().optional(),
        productId: z.string().optional(),
        linearValue: scalar.optional(),
      }),
    )
    .default([]),
});

const orderInfo = z.looseObject({
  orderId: z.string().min(1),
  orderType: z.string().min(1),
  createTime: compactTime.optional(),
  buyerInfo: z
    .looseObject({
      customerId: z.string().optional(),
      customerName: z.string().optional(),
      userId: z.string().optional(),
      userName: z.string().optional(),
    })
    .optional(),
  extendParams: extendParamList.optional().default([]),
  orderLine: z.array(orderLine).min(1),
});

export type MarketplaceOrder = z.output<typeof orderInfo>;
export type MarketplaceOrderLine = z.output<typeof orderLine>;

export type OrderQueryErrorKind = 'auth' | 'bad-request' | 'not-found' | 'retryable';

export class OrderQueryError extends Error {
  override name = 'OrderQueryError';
  constructor(
    readonly kind: OrderQueryErrorKind,
    message: string,
    readonly resultCode?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const successCodes = new Set(['CBC.0000', 'MKT.0000']); // documentation shows both
const authCodes = new Set(['CBC.0150', 'CBC.0151', 'CBC.0154']);
const badRequestCodes = new Set(['CBC.0100', 'CBC.0101', 'CBC.0199']);

export interface OrderQueryClient {
  queryOrder(orderId: string, orderLineId?: string): Promise<MarketplaceOrder>;
}

export const orderQueryRetry: RetryPolicy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 8000 };

export function createOrderQueryClient(deps: {
  /** Site host, e.g. https://mkt.myhuaweicloud.com (or the simulator). */
  baseUrl: string;
  ak: string;
  sk: string;
  clock: Clock;
  timeoutMs: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  policy?: RetryPolicy;
}): OrderQueryClient {
  const doFetch = deps.fetch ?? fetch;
  const once = async (orderId: string, orderLineId?: string): Promise<MarketplaceOrder> => {
    const url = new URL(PATH, deps.baseUrl);
    url.searchParams.set('orderId', orderId);
    if (orderLineId) url.searchParams.set('orderLineId', orderLineId);
    const headers = signRequest(
      {
        method: 'GET',
        url: url.toString(),
        headers: { 'content-type': 'application/json;charset=UTF-8' },
      },
      { ak: deps.ak, sk: deps.sk },
      deps.clock.now(),
    );
    delete headers.host; // fetch sets it; it was signed with the same value
    let res: Response;
    try {
      res = await doFetch(url, { headers, signal: AbortSignal.timeout(deps.timeoutMs) });
    } catch (cause) {
      throw new OrderQueryError(
        'retryable',
        `order query for ${orderId} did not answer: ${(cause as Error).message}`,
        undefined,
        { cause },
      );
    }
    const text = await res.text();
    let body: { resultCode?: string; resultMsg?: string; orderInfo?: unknown; error_code?: string };
    try {
      body = JSON.parse(text);
    } catch {
      throw new OrderQueryError(
        res.status >= 500 ? 'retryable' : 'bad-request',
        `order query for ${orderId}: HTTP ${res.status}, not JSON`,
      );
    }
    const code = body.resultCode ?? body.error_code ?? `HTTP.${res.status}`;
    if (successCodes.has(code) && res.ok) {
      const parsed = orderInfo.safeParse(body.orderInfo);
      if (!parsed.success) {
        throw new OrderQueryError(
          'bad-request',
          `order ${orderId}: unexpected orderInfo (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`,
          code,
        );
      }
      return parsed.data;
    }
    const msg = `order query for ${orderId} failed with ${code}: ${body.resultMsg ?? ''}`.trim();
    if (authCodes.has(code) || res.status === 401 || res.status === 403) {
      throw new OrderQueryError(
        'auth',
        `${msg} — check KGD_CLOUD_AK / KGD_CLOUD_SK are the seller account's`,
        code,
      );
    }
    if (badRequestCodes.has(code)) throw new OrderQueryError('bad-request', msg, code);
    if (code === 'CBC.9001' || res.status === 404)
      throw new OrderQueryError('not-found', msg, code);
    throw new OrderQueryError('retryable', msg, code);
  };
  return {
    queryOrder: (orderId, orderLineId) =>
      retry(() => once(orderId, orderLineId), {
        ...(deps.policy ?? orderQueryRetry),
        isRetryable: (e) => e instanceof OrderQueryError && e.kind === 'retryable',
        sleep: deps.sleep ?? realSleep,
        random: deps.random,
      }),
  };
}
