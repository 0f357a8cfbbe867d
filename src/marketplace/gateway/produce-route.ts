import type { Context, Hono } from 'hono';
import type { Transaction } from 'kysely';
import { arrivalOf } from '../../platform/arrival.js';
import type { Database } from '../../platform/db/schema.js';
import { type ActiveSpan, inSpan } from '../../platform/tracing.js';
import type { GatewayDeps, Outcome } from '../handlers/context.js';
import { outcome } from '../handlers/context.js';
import { handleCommand } from '../handlers/index.js';
import { type Answer, answer, encodeAnswer, ResultCode } from '../protocol/answers.js';
import { authenticate } from '../protocol/authenticate.js';
import type { Command } from '../protocol/commands.js';
import { type IncomingCall, type NodeBody, readCall } from '../protocol/read-call.js';
import type { AnswerProtocol } from '../protocol/signatures.js';
import { findString, firstUnstorable, isStorable, shown } from '../protocol/storable.js';
import type { ParseResult } from '../protocol/v1.js';
import { parseV1 } from '../protocol/v1.js';
import { parseV2 } from '../protocol/v2.js';
import { runWithDeadline } from './deadline.js';
import { markAnsweredLate, recordCall } from './inbox.js';

/**
 * The production endpoint (生产接口地址): one URL, both protocol generations, every activity.
 * Unauthenticated or structurally broken calls are answered without touching the database.
 * Authenticated calls are recorded in the inbox in the same transaction as their effect, before
 * the answer leaves; if that cannot finish within the deadline the answer is 000005 and nothing is
 * kept.
 */
export function registerProduceRoute(app: Hono, deps: GatewayDeps): void {
  app.all(deps.producePath, async (c) => {
    try {
      // One trace per call: the operations it records carry its traceparent into their workflows.
      return await inSpan('marketplace call', { 'kgd.produce_path': deps.producePath }, (span) =>
        produce(c, deps, span),
      );
    } catch (err) {
      // Never an HTTP 500 on the production URL: the marketplace reads the result code.
      deps.logger.error({ err: (err as Error).message }, 'marketplace call failed unexpectedly');
      const encoded = encodeAnswer(
        answer(ResultCode.internalError, 'internal error: retry later'),
        deps.keys[0]!,
        'unknown',
      );
      return c.body(encoded.body, 200, encoded.headers);
    }
  });
}

/**
 * Parses the authenticated call into a command. Unknown fields and parameters are ignored, so
 * only what the command keeps must be storable: PostgreSQL text holds no NUL and its jsonb no
 * unpaired surrogate, and a call carrying either in a kept field is malformed (000002), never a
 * storage failure (000005) the marketplace would retry for hours.
 */
function parse(call: IncomingCall): { activity: string | null; parsed: ParseResult } {
  const { wire, ...result } = parseCall(call);
  const activity = result.activity !== null && isStorable(result.activity) ? result.activity : null;
  const { parsed } = result;
  if (!parsed.ok) return { activity, parsed: { ok: false, message: shown(parsed.message, 500) } };
  const found = firstUnstorable(parsed.command);
  if (!found) return { activity, parsed };
  // Named as the marketplace sent it; a value decoded while parsing keeps the command's path.
  const bad = findString(wire, (s) => s === found.text)?.path ?? found.path;
  return {
    activity,
    parsed: { ok: false, message: `${bad}: contains a NUL character or an unpaired surrogate` },
  };
}

function parseCall(call: IncomingCall): {
  activity: string | null;
  parsed: ParseResult;
  wire?: unknown;
} {
  if (call.protocol === 'v1') {
    const params = Object.fromEntries(call.params);
    const activity = params.activity ?? null;
    if (!activity) return { activity, parsed: { ok: false, message: 'activity: required' } };
    return { activity, parsed: parseV1(activity, params), wire: params };
  }
  let body: unknown;
  try {
    body = JSON.parse(call.body.toString('utf8'));
  } catch {
    return { activity: null, parsed: { ok: false, message: 'body: not valid JSON' } };
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { activity: null, parsed: { ok: false, message: 'body: expected a JSON object' } };
  }
  const activity =
    typeof (body as { activity?: unknown }).activity === 'string'
      ? (body as { activity: string }).activity
      : null;
  return { activity, parsed: parseV2(body as Record<string, unknown>), wire: body };
}

/** What is stored as the parsed form: the command without secrets (extension values, contacts). */
function storedForm(command: Command | undefined): Record<string, unknown> | null {
  if (!command) return null;
  const c = structuredClone(command) as unknown as Record<string, unknown>;
  const order = c.order as Record<string, unknown> | undefined;
  if (order) {
    order.extendParams = (order.extendParams as { name: string }[]).map((p) => ({
      name: p.name,
      value: '[sealed]',
    }));
    order.contact = Object.fromEntries(
      Object.keys(order.contact as object).map((k) => [k, '[sealed]']),
    );
  }
  if (Array.isArray(c.extendParams)) {
    c.extendParams = (c.extendParams as { name: string }[]).map((p) => ({
      name: p.name,
      value: '[sealed]',
    }));
  }
  return c;
}

/** Thrown inside the transaction when the call's nonce was seen before: everything rolls back. */
class ReplayRefused extends Error {}

/** The order a command concerns, for the trace (an id, never the order's details). */
function orderIdOf(command: Command): string | undefined {
  if ('order' in command) return command.order.orderId;
  if ('orderId' in command && typeof command.orderId === 'string') return command.orderId;
  return undefined;
}

async function produce(c: Context, deps: GatewayDeps, span: ActiveSpan) {
  const incoming = (c.env as { incoming?: NodeBody } | undefined)?.incoming;
  // The deadline runs from arrival, not from here: time queued behind other requests counts.
  const started = arrivalOf(incoming) ?? performance.now();
  const now = deps.clock.now();
  // Known once the call parsed; a refused call is counted with real traffic.
  let test = false;
  const send = (a: Answer, key: string, activity: string | null, protocol: AnswerProtocol) => {
    const encoded = encodeAnswer(a, key, protocol);
    deps.onAnswered?.({
      protocol,
      activity: activity ?? 'unknown',
      resultCode: a.resultCode,
      durationMs: performance.now() - started,
      test,
    });
    return c.body(encoded.body, 200, encoded.headers);
  };
  const primaryKey = deps.keys[0]!;

  const read = await readCall(c.req.raw, deps.maxBodyBytes, incoming);

  if (!read.ok) {
    deps.logger.info({ resultCode: '000002', reason: read.message }, 'marketplace call refused');
    return send(answer(ResultCode.invalidRequest, read.message), primaryKey, null, 'unknown');
  }
  const call = read.call;
  const auth = authenticate(call, {
    keys: deps.keys,
    now,
    v1MaxSkewMs: deps.v1MaxSkewMs,
    v2MaxSkewMs: deps.v2MaxSkewMs,
  });
  if (!auth.ok) {
    deps.logger.warn(
      { protocol: call.protocol, resultCode: '000001', reason: auth.message },
      'marketplace call refused',
    );
    return send(answer(ResultCode.authFailed, auth.message), primaryKey, null, call.protocol);
  }
  const key = deps.keys[auth.keyIndex]!;
  const { activity, parsed } = parse(call);
  test = parsed.ok && parsed.command.test;
  span.setAttributes({
    'kgd.protocol': call.protocol,
    'kgd.activity': activity ?? undefined,
    'kgd.test': test,
    'kgd.order_id': parsed.ok ? orderIdOf(parsed.command) : undefined,
  });

  const work = async (tx: Transaction<Database>) => {
    const result: Outcome = parsed.ok
      ? await handleCommand({ tx, deps, protocol: call.protocol, key, now }, parsed.command)
      : outcome(answer(ResultCode.invalidRequest, parsed.message));
    const encoded = encodeAnswer(result.answer, key, call.protocol);
    const guard = { scope: auth.replayScope, nonce: auth.replayId, expiresAt: auth.expiresAt, now };
    const inboxId = await recordCall(tx, guard, {
      received_at: now,
      protocol: call.protocol,
      method: call.method,
      activity,
      raw_sealed: deps.secretBox.seal(call.raw, 'inbox:raw'),
      parsed: parsed.ok ? storedForm(parsed.command) : { error: parsed.message },
      idempotency_key: result.idempotencyKey,
      duplicate: result.duplicate,
      instance_id: result.instanceId,
      operation_id: result.operationId,
      test,
      key_index: auth.keyIndex,
      result_code: result.answer.resultCode,
      answer: encoded.body,
      duration_ms: performance.now() - started,
    });
    // A replayed nonce: roll everything back, as if the call had never arrived.
    if (inboxId === undefined) throw new ReplayRefused();
    return { result, encoded, inboxId };
  };

  const remaining = deps.answerDeadlineMs - (performance.now() - started);
  const run = await runWithDeadline(deps.db, remaining, work, (late) => {
    void markAnsweredLate(deps.db, late.inboxId).catch(() => {});
    deps.logger.warn({ activity }, 'transaction committed after its 000005 answer was sent');
  });
  const log = {
    protocol: call.protocol,
    activity,
    durationMs: Math.round(performance.now() - started),
  };
  if (run.status === 'timeout') {
    deps.logger.error(log, 'marketplace call not recorded within the deadline: answered 000005');
    return send(
      answer(ResultCode.internalError, 'storage is slow: retry later'),
      key,
      activity,
      call.protocol,
    );
  }
  if (run.status === 'error' && run.error instanceof ReplayRefused) {
    deps.logger.warn({ ...log, resultCode: '000001' }, 'replayed marketplace call refused');
    return send(
      answer(ResultCode.authFailed, 'authentication failed: nonce or authToken already used'),
      key,
      activity,
      call.protocol,
    );
  }
  if (run.status === 'error') {
    deps.logger.error(
      { ...log, err: run.error.message },
      'marketplace call failed: answered 000005',
    );
    return send(
      answer(ResultCode.internalError, 'internal error: retry later'),
      key,
      activity,
      call.protocol,
    );
  }
  const value = run.value;
  span.setAttributes({
    'kgd.result_code': value.result.answer.resultCode,
    'kgd.instance_id': value.result.instanceId ?? undefined,
    'kgd.operation_id': value.result.operationId ?? undefined,
  });
  for (const id of new Set(value.result.wake)) deps.dispatcher.wake(id);
  deps.logger.info(
    {
      ...log,
      resultCode: value.result.answer.resultCode,
      instanceId: value.result.instanceId,
      duplicate: value.result.duplicate,
      inboxId: value.inboxId,
    },
    'marketplace call answered',
  );
  deps.onAnswered?.({
    protocol: call.protocol,
    activity: activity ?? 'unknown',
    resultCode: value.result.answer.resultCode,
    durationMs: performance.now() - started,
    test,
  });
  return c.body(value.encoded.body, 200, value.encoded.headers);
}
