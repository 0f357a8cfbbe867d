import type { MiddlewareHandler } from 'hono';
import { actionsFor } from '../iam/actions.js';
import type { SimContext, SimEnv } from './context.js';
import type { RequestFault } from './faults.js';
import { codes, sendError, styleOf } from './sim-errors.js';

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The counters of one API, created on its first call. */
export function statsOf(ctx: SimContext, api: string) {
  let stats = ctx.stats.get(api);
  if (!stats) {
    stats = { calls: 0, faulted: 0, throttled: 0, refusals: {} };
    ctx.stats.set(api, stats);
  }
  return stats;
}

/**
 * Per-API gate in front of each handler: counts the call, applies the rate limit (429 like the
 * gateway), the injected fault for this call if any, and the answer latency.
 */
export function guard(ctx: SimContext, api: string): MiddlewareHandler<SimEnv> {
  return async (c, next) => {
    c.set('api', api);
    const stats = statsOf(ctx, api);
    stats.calls++;
    ctx.onCall?.(api);
    const style = styleOf(api);

    const limit = ctx.rateLimits.take(api);
    if (limit !== undefined) {
      stats.throttled++;
      return throttled(c, limit);
    }
    if (api.startsWith('vpc3.') && !ctx.faults.v3Available) {
      return sendError(
        c,
        'gateway',
        404,
        codes.gatewayNoApi,
        'The API does not exist or has not been published in the environment',
      );
    }
    const denied = deniedAction(ctx, c, api);
    if (denied) return denied;
    const fault = ctx.faults.pick(api);
    if (fault) stats.faulted++;
    const apiDelay = ctx.latency.draw('apiMs');
    if (apiDelay > 0) await delay(apiDelay);
    if (!fault) return next();
    return applyFault(ctx, c, fault, style, next);
  };
}

/**
 * Temporary credentials act only within the agency's grants on this project: a call needing an
 * action they lack answers the service's 403 (huawei-iam-agency.md §5), naming the action.
 */
function deniedAction(ctx: SimContext, c: Parameters<MiddlewareHandler<SimEnv>>[0], api: string) {
  const caller = c.get('caller');
  if (caller?.kind !== 'temporary') return undefined;
  const missing = ctx.iam.missingAction(
    caller,
    ctx.credentials.projectId,
    actionsFor(api, c.get('rawBody') ?? ''),
  );
  if (!missing) return undefined;
  const message = `Policy doesn't allow ${missing} to be performed.`;
  const style = styleOf(api);
  return style === 'ecs'
    ? sendError(c, 'ecs', 403, codes.ecsPolicyDenied, message)
    : sendError(c, style, 403, codes.vpcPolicyDenied, message);
}

function throttled(c: Parameters<MiddlewareHandler<SimEnv>>[0], limit: number) {
  return sendError(
    c,
    'gateway',
    429,
    codes.gatewayThrottled,
    `The throttling threshold has been reached: policy user over ratelimit,limit:${limit},time:1 minute`,
  );
}

async function applyFault(
  ctx: SimContext,
  c: Parameters<MiddlewareHandler<SimEnv>>[0],
  fault: RequestFault,
  style: ReturnType<typeof styleOf>,
  next: () => Promise<void>,
) {
  const incoming = (c.env as { incoming?: import('node:http').IncomingMessage } | undefined)
    ?.incoming;
  switch (fault.kind) {
    case 'throttle':
      return throttled(c, 0);
    case 'server-error':
      return sendError(
        c,
        'gateway',
        fault.status ?? 500,
        codes.injected,
        'simulated backend failure (injected fault)',
      );
    case 'frozen':
      return style === 'ecs'
        ? sendError(
            c,
            'ecs',
            403,
            codes.ecsFrozen,
            'You do not have permission to perform this operation. The account is frozen or in arrears.',
          )
        : sendError(c, style, 403, codes.vpcFrozen, 'Token not allowed to do this action.');
    case 'busy': {
      if (fault.answer === 'Ecs.0501')
        return sendError(
          c,
          style,
          400,
          codes.ecsDiskDownloading,
          'The system disk is being downloaded. Try again later.',
        );
      if (fault.answer === 'stream-control')
        return sendError(c, style, 500, codes.injected, 'stream control: try again later');
      return style === 'ecs' || fault.answer === 'Ecs.0603'
        ? sendError(
            c,
            style,
            501,
            codes.ecsBusy,
            'Other commands are being executed. Try again 1 minute later.',
          )
        : sendError(c, style, 409, codes.vpcBusy, 'The resource is busy. Try again later.');
    }
    case 'slow':
      await delay(fault.delayMs);
      return next();
    case 'reset':
      incoming?.socket.destroy();
      return new Response(null, { status: 499 });
    case 'timeout': {
      if (fault.processed) await next();
      await new Promise<void>((resolve) => {
        const release = () => {
          clearTimeout(timer);
          ctx.holds.delete(release);
          resolve();
        };
        const timer = setTimeout(release, fault.holdMs ?? 120_000);
        ctx.holds.add(release);
        // The socket, not the request: a request emits 'close' as soon as its body is read.
        incoming?.socket?.once('close', release);
      });
      incoming?.socket.destroy();
      return new Response(null, { status: 499 });
    }
  }
}
