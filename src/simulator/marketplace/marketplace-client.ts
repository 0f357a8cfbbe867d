import type { Clock } from '../../platform/clock.js';
import { type AnswerCheck, checkAnswer, successCodes } from './answer-check.js';
import { type BuiltRequest, buildRequest, type CallSpec } from './request-builder.js';

/**
 * The marketplace's HTTP client towards a seller's production endpoint: signs a call, sends it
 * with the 5-second deadline of spec §1, measures latency and checks the answer.
 */

const answerDeadlineMs = 5_000;

export interface CallResult extends AnswerCheck {
  request: BuiltRequest;
  /** HTTP status; absent when no answer arrived. */
  status?: number;
  /** The answer exactly as received (UTF-8). */
  bodyText?: string;
  bodySignValid: boolean;
  latencyMs: number;
  /** Transport failure: timeout, refused connection, reset... */
  error?: string;
  /** The marketplace would count this call as answered successfully. */
  accepted: boolean;
}

export interface MarketplaceClient {
  build(spec: CallSpec): BuiltRequest;
  send(spec: CallSpec, request: BuiltRequest): Promise<CallResult>;
  /** build + send. */
  call(spec: CallSpec): Promise<CallResult>;
}

export interface MarketplaceClientDeps {
  clock: Clock;
  fetch?: typeof fetch;
  /** Answer deadline (read per call); 5 s as the marketplace allows. */
  timeoutMs?: number | (() => number);
  nonce?: () => string;
  /** Monotonic milliseconds for latency. */
  monotonicNow?: () => number;
}

/**
 * @example
 *   const client = createMarketplaceClient({ clock: systemClock });
 *   const r = await client.call({ protocol: 'v1', url, key, activity: 'expireInstance',
 *     fields: { instanceId } });
 *   if (!r.accepted) console.error(r.problems, r.error);
 */
export function createMarketplaceClient(deps: MarketplaceClientDeps): MarketplaceClient {
  const doFetch = deps.fetch ?? fetch;
  const now = deps.monotonicNow ?? (() => performance.now());
  const deadline = () =>
    typeof deps.timeoutMs === 'function' ? deps.timeoutMs() : (deps.timeoutMs ?? answerDeadlineMs);

  // Two calls signed in the same millisecond would be byte-identical for V1 (no nonce) and look
  // like a replay; the real marketplace never sends two calls in one millisecond, a virtual
  // clock does. Each call therefore signs at least one millisecond after the previous one.
  let lastSignedMs = 0;
  const build = (spec: CallSpec) => {
    const ms = Math.max(deps.clock.now().getTime(), lastSignedMs + 1);
    lastSignedMs = ms;
    return buildRequest(spec, { now: new Date(ms), nonce: deps.nonce });
  };

  async function send(spec: CallSpec, request: BuiltRequest): Promise<CallResult> {
    const timeoutMs = deadline();
    const started = now();
    let response: Response;
    let body: Buffer;
    try {
      response = await doFetch(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      body = Buffer.from(await response.arrayBuffer());
    } catch (err) {
      const e = err as Error;
      const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
      const cause = (e.cause as Error | undefined)?.message;
      return {
        request,
        bodySign: 'missing',
        bodySignValid: false,
        latencyMs: Math.round(now() - started),
        error: timedOut
          ? `no answer within ${timeoutMs} ms`
          : `${e.message}${cause ? `: ${cause}` : ''}`,
        problems: [],
        accepted: false,
      };
    }
    const latencyMs = Math.round(now() - started);
    const check = checkAnswer({
      protocol: spec.protocol,
      activity: spec.activity,
      key: spec.key,
      status: response.status,
      bodySignHeader: response.headers.get('body-sign'),
      body,
    });
    const accepted =
      check.problems.length === 0 &&
      check.resultCode !== undefined &&
      successCodes(spec.protocol, spec.activity).includes(check.resultCode);
    return {
      ...check,
      request,
      status: response.status,
      bodyText: body.toString('utf8'),
      bodySignValid: check.bodySign === 'valid',
      latencyMs,
      accepted,
    };
  }

  return { build, send, call: (spec) => send(spec, build(spec)) };
}
