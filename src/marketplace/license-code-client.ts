import type { Activation, CodeState, CodeUsage, LicenseCodeApi } from '../deployments/ports.js';
import { signRequest } from '../platform/apig-signing.js';
import type { Clock } from '../platform/clock.js';
import { Permanent, Retryable } from '../platform/errors.js';
import { retry } from '../platform/retry.js';
import { formatCompactTime, parseCompactTime } from './protocol/fields.js';

/**
 * Seller → KooGallery license-code APIs (联营License授权码 2.0, spec §8), signed `SDK-HMAC-SHA256`
 * with the seller's AK/SK over the JSON body (spec §2.6): activate (v1 one code, v2 a batch),
 * query (`heartbeat`) and software usage. Answers are `{error_code, error_msg, data}`; the codes
 * are mapped once below. Transient failures (92020001, 5xx, no answer) are retried with backoff on
 * the clock, the fallback host taking over when the first does not answer or answers 5xx.
 */
const base = '/api/mkp-openapi-public/global';
const licenseCodePaths = {
  activateV1: `${base}/v1/license/activate`,
  activateV2: `${base}/v2/license/activate`,
  heartbeatV1: `${base}/v1/license/heartbeat`,
  usage: `${base}/v2/license/software-usage-info`,
} as const;

const success = '92020000';
const alreadyActive = '92020003';
/** Spec §8 error codes: what an operator reads next to each refusal. */
const meaning: Record<string, string> = {
  '92020001': 'marketplace internal error',
  '92020002': 'invalid parameter',
  '92020003': 'illegal state (already activated)',
  '92020004': 'the buyer has not received the code yet',
  '92020005': 'license code does not exist',
  '92020011': 'license code not activated',
  '92020020': 'invalid license codes in the request',
  '95000001': 'bad request parameter',
  '95000002': 'method not allowed',
  '95000003': 'content type must be application/json',
  '95000004': 'request body unreadable',
};
const transient = new Set(['92020001']);

interface Answer {
  error_code?: unknown;
  error_msg?: unknown;
  data?: unknown;
}

/** One host did not answer or answered 5xx: the next host may. */
class HostUnavailable extends Retryable {
  override name = 'HostUnavailable';
}

export interface LicenseCodeClientDeps {
  /** Site hosts in order (cn: mkt.myhuaweicloud.com, then mkt.myhuaweicloud.cn). */
  hosts: readonly string[];
  ak: string;
  sk: string;
  clock: Clock;
  timeoutMs: number;
  /** Attempts per call, the first included; default 4. */
  attempts?: number;
  fetch?: typeof fetch;
}

export function createLicenseCodeClient(deps: LicenseCodeClientDeps): LicenseCodeApi {
  const doFetch = deps.fetch ?? fetch;
  if (deps.hosts.length === 0) throw new Error('license codes: no marketplace host configured');

  async function once(host: string, path: string, body: unknown): Promise<Answer> {
    const url = new URL(path, host).toString();
    const text = JSON.stringify(body);
    const headers = signRequest(
      { method: 'POST', url, headers: { 'content-type': 'application/json' }, body: text },
      { ak: deps.ak, sk: deps.sk },
      deps.clock.now(),
    );
    delete headers.host; // fetch sets it; it was signed with the same value
    let res: Response;
    try {
      res = await doFetch(url, {
        method: 'POST',
        headers,
        body: text,
        signal: AbortSignal.timeout(deps.timeoutMs),
      });
    } catch (cause) {
      throw new HostUnavailable(`${path} on ${host} did not answer: ${(cause as Error).message}`, {
        cause,
      });
    }
    const raw = await res.text();
    let answer: Answer = {};
    try {
      answer = JSON.parse(raw) as Answer;
    } catch {
      // Read from the status below.
    }
    const code = typeof answer.error_code === 'string' ? answer.error_code : `HTTP.${res.status}`;
    if (code === success || code === alreadyActive) return { ...answer, error_code: code };
    const msg = typeof answer.error_msg === 'string' ? answer.error_msg.slice(0, 200) : '';
    const what = `${path} failed with ${code}${msg ? ` (${msg})` : ''}: ${meaning[code] ?? 'refused by the marketplace'}`;
    if (res.status >= 500) throw new HostUnavailable(what, { code });
    if (transient.has(code)) throw new Retryable(what, { code });
    if (res.status === 401 || res.status === 403)
      throw new Permanent(`${what}; check KGD_CLOUD_AK / KGD_CLOUD_SK are the seller account's`, {
        code,
      });
    throw new Permanent(what, { code });
  }

  async function call(path: string, body: unknown): Promise<Answer> {
    return retry(
      async () => {
        let last: unknown;
        for (const host of deps.hosts) {
          try {
            return await once(host, path, body);
          } catch (err) {
            if (!(err instanceof HostUnavailable)) throw err;
            last = err;
          }
        }
        throw last;
      },
      {
        attempts: deps.attempts ?? 4,
        baseDelayMs: 1_000,
        maxDelayMs: 10_000,
        isRetryable: (err) => err instanceof Retryable,
        sleep: (ms) => deps.clock.sleep(ms),
      },
    );
  }

  return {
    async activate(code, realEffectTime) {
      const a = await call(licenseCodePaths.activateV1, {
        license: code,
        ...(realEffectTime ? { real_effect_time: formatCompactTime(realEffectTime) } : {}),
      });
      if (a.error_code === alreadyActive) return { kind: 'already-active' } satisfies Activation;
      const data = objectOf(a.data);
      const info = objectOf(
        typeof data.license_code_info === 'string'
          ? safeJson(data.license_code_info)
          : data.license_code_info,
      );
      return { kind: 'activated', state: stateOf(code, info) };
    },
    async activateMany(codes, realEffectTime) {
      if (codes.length === 0 || codes.length > 100)
        throw new Permanent('license_list: between 1 and 100 codes per activation');
      const a = await call(licenseCodePaths.activateV2, {
        license_list: codes,
        ...(realEffectTime ? { real_effect_time: formatCompactTime(realEffectTime) } : {}),
      });
      return objectOf(a.data);
    },
    async query(code) {
      const a = await call(licenseCodePaths.heartbeatV1, { license: code });
      const data = objectOf(a.data);
      return stateOf(typeof data.license_code === 'string' ? data.license_code : code, data);
    },
    async reportUsage(usage: CodeUsage[]) {
      if (usage.length === 0 || usage.length > 100)
        throw new Permanent('usage_info: between 1 and 100 codes per report');
      await call(licenseCodePaths.usage, {
        usage_info: usage.map((u) => ({
          license: u.code,
          software_usage_Info: u.usage.map((e) =>
            'id' in e ? { id: e.id } : { active_num: e.activeNum },
          ),
        })),
      });
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}

function objectOf(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : {};
}

const str = (v: unknown) =>
  typeof v === 'string' && v ? v : typeof v === 'number' ? String(v) : null;
const time = (v: unknown) => {
  const s = str(v);
  return s ? (parseCompactTime(s) ?? null) : null;
};

/** The marketplace's fields (activate's license_code_info, query's data), unknown ones kept. */
function stateOf(code: string, d: Record<string, unknown>): CodeState {
  return {
    code,
    status: str(d.status),
    expireTime: time(d.expire_time),
    activateTime: time(d.activate_time),
    productId: str(d.product_id),
    orderId: str(d.order_id),
    raw: d,
  };
}
