import { z } from 'zod';
import type { MarketplaceOrder, OrderSource } from '../deployments/ports.js';
import { signRequest } from '../platform/apig-signing.js';
import type { Clock } from '../platform/clock.js';
import { Permanent, Retryable } from '../platform/errors.js';
import { type RetryPolicy, retry } from '../platform/retry.js';
import { compactTime, extendParamList } from './protocol/fields.js';

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

/** No answer, a 5xx, an unexpected code: asking again later can succeed. */
class OrderQueryUnavailable extends Retryable {
  override name = 'OrderQueryUnavailable';
}

/** The marketplace refused the query: wrong credentials, a bad request, an unknown order. */
export class OrderQueryRefused extends Permanent {
  override name = 'OrderQueryRefused';
  constructor(
    readonly reason: 'auth' | 'bad-request' | 'not-found',
    message: string,
    code?: string,
  ) {
    super(message, code === undefined ? {} : { code });
  }
}

/**
 * The API's codes: `MKT.xxxx` in the current page, `CBC.xxxx` with the same numbers in an older
 * copy (spec §9); both are accepted, classified by their number.
 */
const codeNumber = (code: string) => /^(?:MKT|CBC)\.(\d{4})$/.exec(code)?.[1];
const authCodes = new Set(['0150', '0151', '0154']);
const badRequestCodes = new Set(['0100', '0101', '0199']);

const orderQueryRetry: RetryPolicy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 8000 };

export function createOrderQueryClient(deps: {
  /** Site host, e.g. https://mkt.myhuaweicloud.com (or the simulator). */
  baseUrl: string;
  ak: string;
  sk: string;
  clock: Clock;
  timeoutMs: number;
  fetch?: typeof fetch;
  random?: () => number;
  policy?: RetryPolicy;
}): OrderSource {
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
      throw new OrderQueryUnavailable(
        `order query for ${orderId} did not answer: ${(cause as Error).message}`,
        { cause },
      );
    }
    const text = await res.text();
    let body: { resultCode?: string; resultMsg?: string; orderInfo?: unknown; error_code?: string };
    try {
      body = JSON.parse(text);
    } catch {
      const msg = `order query for ${orderId}: HTTP ${res.status}, not JSON`;
      if (res.status >= 500) throw new OrderQueryUnavailable(msg, { code: `HTTP.${res.status}` });
      throw new OrderQueryRefused('bad-request', msg, `HTTP.${res.status}`);
    }
    const code = body.resultCode ?? body.error_code ?? `HTTP.${res.status}`;
    const number = codeNumber(code);
    if (number === '0000' && res.ok) {
      const parsed = orderInfo.safeParse(body.orderInfo);
      if (!parsed.success) {
        throw new OrderQueryRefused(
          'bad-request',
          `order ${orderId}: unexpected orderInfo (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`,
          code,
        );
      }
      return parsed.data;
    }
    const msg = `order query for ${orderId} failed with ${code}: ${body.resultMsg ?? ''}`.trim();
    if ((number && authCodes.has(number)) || res.status === 401 || res.status === 403) {
      throw new OrderQueryRefused(
        'auth',
        `${msg} — check KGD_CLOUD_AK / KGD_CLOUD_SK are the seller account's`,
        code,
      );
    }
    if (number && badRequestCodes.has(number))
      throw new OrderQueryRefused('bad-request', msg, code);
    if (number === '9001' || res.status === 404)
      throw new OrderQueryRefused('not-found', msg, code);
    throw new OrderQueryUnavailable(msg, { code });
  };
  return {
    queryOrder: (orderId, orderLineId) =>
      retry(() => once(orderId, orderLineId), {
        ...(deps.policy ?? orderQueryRetry),
        isRetryable: (e) => e instanceof Retryable,
        sleep: (ms) => deps.clock.sleep(ms),
        random: deps.random,
      }),
  };
}
