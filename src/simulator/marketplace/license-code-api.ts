import { randomBytes } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { verifyRequest } from '../../platform/apig-signing.js';
import type { Clock } from '../../platform/clock.js';
import type { CallResult, MarketplaceClient } from './marketplace-client.js';
import { formatOrderTime, parseOrderTime } from './time-format.js';
import type { Timer } from './timer.js';

/**
 * License codes 2.0 as the marketplace runs them (spec §8): a book of codes issued per order
 * (statuses ALIVE / EXPIRED / RELEASED, frozen or not), the seller's open APIs (activate v1 and v2,
 * query a.k.a. heartbeat, software usage) checked as the marketplace checks them, and the three
 * activities sent to the production URL — refreshLicenseCode, updateLicenseCodeStatus,
 * releaseLicenseCode — each retried 60 times every 2 minutes until a 000000.
 */
const base = '/api/mkp-openapi-public/global';
const paths = {
  activateV1: `${base}/v1/license/activate`,
  activateV2: `${base}/v2/license/activate`,
  heartbeat: `${base}/v1/license/heartbeat`,
  usage: `${base}/v2/license/software-usage-info`,
};

/** Spec §8/§10: 60 tries, every 2 minutes, then the seller restarts it by hand. */
const licenseCodeRetry = { attempts: 60, intervalMs: 120_000 };

interface BookedCode {
  code: string;
  orderId: string;
  orderLineId: string;
  productId: string;
  amount: number;
  /** ISSUED until the buyer has it; then activated → ALIVE; EXPIRED when frozen; RELEASED. */
  status: 'ISSUED' | 'ALIVE' | 'EXPIRED' | 'RELEASED';
  delivered: boolean;
  frozen: boolean;
  activatedAt: Date | null;
  expireTime: Date;
  usage: Array<{ at: string; entries: unknown[] }>;
}

/** One activity the marketplace sent for a code, with how its attempts went. */
interface CodeDelivery {
  activity: 'refreshLicenseCode' | 'updateLicenseCodeStatus' | 'releaseLicenseCode';
  code: string;
  attempts: number;
  accepted: boolean;
  resultCodes: string[];
}

export interface LicenseCodeBook {
  /** Issues `count` codes for an order line (the marketplace generates them). */
  issue(input: {
    orderId: string;
    productId: string;
    expireTime: Date;
    count?: number;
  }): BookedCode[];
  get(code: string): BookedCode | undefined;
  list(): BookedCode[];
  /** Renews the code's period and tells the seller (refreshLicenseCode). */
  renew(
    code: string,
    expireTime: Date,
    scene?: 'RENEWAL' | 'UNSUBSCRIBE_RENEWAL_PERIOD',
  ): Promise<CodeDelivery>;
  /** FREEZE (after the grace period) / UNFREEZE and tell the seller (updateLicenseCodeStatus). */
  setFrozen(code: string, frozen: boolean): Promise<CodeDelivery>;
  /** Releases the code and tells the seller (releaseLicenseCode). */
  release(code: string): Promise<CodeDelivery>;
  deliveries(): CodeDelivery[];
  clear(): void;
}

export interface LicenseCodeDeps {
  clock: Clock;
  timer: Timer;
  client: MarketplaceClient;
  sellerCredentials(): ReadonlyArray<{ ak: string; sk: string }>;
  /** Where and with which key the activities go; undefined until configured. */
  target(): { url: string; key: string } | undefined;
}

type Reply = { status: 200 | 400 | 401 | 405 | 415; code: string; msg: string; data?: unknown };

const codeMessages: Record<string, string> = {
  '92020000': 'success',
  '92020002': 'invalid parameter',
  '92020003': 'illegal state',
  '92020004': 'the license code has not been received',
  '92020005': 'license code does not exist',
  '92020011': 'license code not activated',
  '92020020': 'invalid license codes',
  '95000001': 'bad parameter',
  '95000002': 'method not allowed',
  '95000003': 'content type must be application/json',
  '95000004': 'request body unreadable',
};

const reply = (status: Reply['status'], code: string, data?: unknown): Reply => ({
  status,
  code,
  msg: codeMessages[code] ?? code,
  data,
});

export function registerLicenseCodeApi(app: Hono, deps: LicenseCodeDeps): LicenseCodeBook {
  const codes = new Map<string, BookedCode>();
  let deliveries: CodeDelivery[] = [];

  /** Reads and authenticates a JSON POST; answers the transport errors (95000001–4) itself. */
  async function read(c: Context): Promise<{ body: Record<string, unknown> } | Reply> {
    if (c.req.method !== 'POST') return reply(405, '95000002');
    const type = c.req.header('content-type') ?? '';
    if (!/^application\/json\b/i.test(type)) return reply(415, '95000003');
    const raw = Buffer.from(await c.req.arrayBuffer());
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const verified = verifyRequest(
      { method: 'POST', url: c.req.url, headers, body: raw },
      (ak) => deps.sellerCredentials().find((cred) => cred.ak === ak)?.sk,
      deps.clock.now(),
    );
    // Not in the license-code table: the API gateway's own refusal, as for the order API.
    if (!verified.ok) return { status: 401, code: verified.code, msg: verified.message };
    try {
      const body = JSON.parse(raw.toString('utf8')) as unknown;
      if (body === null || typeof body !== 'object' || Array.isArray(body))
        return reply(400, '95000004');
      return { body: body as Record<string, unknown> };
    } catch {
      return reply(400, '95000004');
    }
  }

  const send = (c: Context, r: Reply) =>
    c.json({ error_code: r.code, error_msg: r.msg, ...(r.data ? { data: r.data } : {}) }, r.status);

  const route = (path: string, handle: (body: Record<string, unknown>) => Reply) =>
    app.all(path, async (c) => {
      const r = await read(c);
      return send(c, 'body' in r ? handle(r.body) : r);
    });

  const codeField = (v: unknown) =>
    typeof v === 'string' && v.length > 0 && v.length <= 64 ? v : undefined;

  function info(b: BookedCode) {
    return {
      status: b.status,
      expire_time: formatOrderTime(b.expireTime),
      product_id: b.productId,
      amount: b.amount,
      order_id: b.orderId,
    };
  }

  /** Activation of one code: the reasons a code cannot be activated, in the marketplace's order. */
  function activateOne(code: string, effect: Date | undefined): Reply {
    const b = codes.get(code);
    if (!b) return reply(200, '92020005');
    if (!b.delivered) return reply(200, '92020004');
    if (b.status !== 'ISSUED') return reply(200, '92020003');
    b.status = b.frozen ? 'EXPIRED' : 'ALIVE';
    b.activatedAt = effect ?? deps.clock.now();
    return reply(200, '92020000');
  }

  function effectTime(v: unknown): Date | undefined | 'bad' {
    if (v === undefined) return undefined;
    const at = typeof v === 'string' ? parseOrderTime(v) : undefined;
    return at ?? 'bad';
  }

  route(paths.activateV1, (body) => {
    const code = codeField(body.license);
    const effect = effectTime(body.real_effect_time);
    if (!code || effect === 'bad') return reply(400, '95000001');
    const r = activateOne(code, effect);
    if (r.code !== '92020000') return r;
    return { ...r, data: { license_code_info: JSON.stringify(info(codes.get(code)!)) } };
  });

  route(paths.activateV2, (body) => {
    const list = body.license_list;
    const effect = effectTime(body.real_effect_time);
    if (!Array.isArray(list) || list.length === 0 || list.length > 100 || effect === 'bad')
      return reply(400, '95000001');
    // The batch is all or nothing (inferred: the page lists 92020020 "invalid codes present").
    const invalid = list.filter((c) => {
      const b = typeof c === 'string' ? codes.get(c) : undefined;
      if (!b) return true;
      return !b.delivered || b.status !== 'ISSUED';
    });
    if (invalid.length > 0) return reply(200, '92020020', { invalid_license_list: invalid });
    for (const c of list as string[]) activateOne(c, effect);
    return reply(200, '92020000', {
      license_code_infos: (list as string[]).map((c) => ({ license: c, ...info(codes.get(c)!) })),
    });
  });

  route(paths.heartbeat, (body) => {
    const code = codeField(body.license);
    if (!code) return reply(400, '95000001');
    const b = codes.get(code);
    if (!b) return reply(200, '92020005');
    if (b.status === 'ISSUED') return reply(200, '92020011');
    return reply(200, '92020000', {
      license_code: b.code,
      status: b.status,
      activate_time: b.activatedAt ? formatOrderTime(b.activatedAt) : null,
      expire_time: formatOrderTime(b.expireTime),
      product_id: b.productId,
      order_id: b.orderId,
    });
  });

  route(paths.usage, (body) => {
    const list = body.usage_info;
    if (!Array.isArray(list) || list.length === 0 || list.length > 100)
      return reply(400, '95000001');
    for (const entry of list as Array<Record<string, unknown>>) {
      const code = codeField(entry?.license);
      const uses = entry?.software_usage_Info;
      if (!code || !Array.isArray(uses) || uses.length > 100) return reply(400, '95000001');
      const wellFormed = uses.every((u: Record<string, unknown>) => {
        const hasId = typeof u?.id === 'string' && u.id.length > 0 && u.id.length <= 256;
        const hasNum =
          Number.isInteger(u?.active_num) &&
          (u.active_num as number) >= 0 &&
          (u.active_num as number) <= 999_999_999;
        return hasId !== hasNum; // exactly one of the two
      });
      if (!wellFormed) return reply(400, '95000001');
      if (!codes.has(code)) return reply(200, '92020020');
    }
    for (const entry of list as Array<Record<string, unknown>>)
      codes.get(entry.license as string)!.usage.push({
        at: deps.clock.now().toISOString(),
        entries: entry.software_usage_Info as unknown[],
      });
    return reply(200, '92020000');
  });

  /** Sends one activity on the marketplace's cadence until accepted or out of tries. */
  async function deliver(
    activity: CodeDelivery['activity'],
    code: string,
    fields: Record<string, unknown>,
  ): Promise<CodeDelivery> {
    const d: CodeDelivery = { activity, code, attempts: 0, accepted: false, resultCodes: [] };
    deliveries.push(d);
    const target = deps.target();
    if (!target) throw new Error('license code events need productionUrl and key configured');
    for (let attempt = 1; attempt <= licenseCodeRetry.attempts; attempt++) {
      if (attempt > 1) await deps.timer.sleep(licenseCodeRetry.intervalMs);
      const r: CallResult = await deps.timer.track(
        deps.client.call({
          protocol: 'v2',
          url: target.url,
          key: target.key,
          activity,
          fields: { license: code, ...fields },
        }),
      );
      d.attempts = attempt;
      d.resultCodes.push(r.resultCode ?? (r.error ? 'no answer' : `HTTP ${r.status}`));
      if (r.accepted) {
        d.accepted = true;
        break;
      }
    }
    return d;
  }

  function mustGet(code: string): BookedCode {
    const b = codes.get(code);
    if (!b) throw new Error(`no license code ${code} in the book`);
    return b;
  }

  return {
    issue({ orderId, productId, expireTime, count = 1 }) {
      return Array.from({ length: count }, (_, i) => {
        const b: BookedCode = {
          code: `LC${randomBytes(10).toString('hex').toUpperCase()}`,
          orderId,
          orderLineId: `${orderId}-${String(i + 1).padStart(6, '0')}`,
          productId,
          amount: 1,
          status: 'ISSUED',
          delivered: true,
          frozen: false,
          activatedAt: null,
          expireTime,
          usage: [],
        };
        codes.set(b.code, b);
        return b;
      });
    },
    get: (code) => codes.get(code),
    list: () => [...codes.values()],
    renew(code, expireTime, scene = 'RENEWAL') {
      const b = mustGet(code);
      b.expireTime = expireTime;
      const orderId = `CS${randomBytes(6).toString('hex').toUpperCase()}`;
      return deliver('refreshLicenseCode', code, {
        scene,
        orderId,
        orderLineId: `${orderId}-000001`,
        productId: b.productId,
        expireTime: formatOrderTime(expireTime),
      });
    },
    setFrozen(code, frozen) {
      const b = mustGet(code);
      b.frozen = frozen;
      if (b.status !== 'ISSUED' && b.status !== 'RELEASED') b.status = frozen ? 'EXPIRED' : 'ALIVE';
      return deliver('updateLicenseCodeStatus', code, { status: frozen ? 'FREEZE' : 'UNFREEZE' });
    },
    release(code) {
      const b = mustGet(code);
      b.status = 'RELEASED';
      return deliver('releaseLicenseCode', code, {
        orderId: b.orderId,
        orderLineId: b.orderLineId,
      });
    },
    deliveries: () => deliveries.map((d) => ({ ...d, resultCodes: [...d.resultCodes] })),
    clear() {
      codes.clear();
      deliveries = [];
    },
  };
}
