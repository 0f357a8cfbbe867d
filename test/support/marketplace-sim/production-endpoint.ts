import type { IncomingMessage } from 'node:http';
import { type Context, Hono } from 'hono';
import {
  decryptField,
  type EncryptType,
  encryptField,
} from '../../../src/marketplace/protocol/field-crypto.js';
import {
  bodySignHeader,
  verifyV1,
  verifyV2,
} from '../../../src/marketplace/protocol/signatures.js';
import type { Clock } from '../../../src/platform/clock.js';

/**
 * A small seller production endpoint for the simulator's own tests, written against the spec
 * (not against the service's gateway): it verifies V1/V2 signatures with the project's functions,
 * refuses stale timestamps and replays, keeps instances idempotently, and answers signed bodies
 * with encrypted appInfo. Faults can be scripted per activity.
 */

export type Fault =
  | { kind: 'result'; code: string }
  | { kind: 'http-500' }
  | { kind: 'bad-body-sign' }
  | { kind: 'no-body-sign' }
  | { kind: 'bad-appinfo' }
  | { kind: 'other-instance' }
  | { kind: 'hang' }
  /** The connection is closed without an answer, as a replica killed mid-call would. */
  | { kind: 'drop' };

export interface Received {
  protocol: 'v1' | 'v2';
  activity: string;
  fields: Record<string, unknown>;
  verified: boolean;
  /** What makes the call unique: V1 authToken, V2 nonce. */
  callId: string;
  reason?: string;
  at: Date;
  resultCode?: string;
}

interface Instance {
  instanceId: string;
  orderKey: string;
  readyAt: number;
  state: 'normal' | 'frozen' | 'released';
  expireTime?: string;
  skuCode?: string;
}

function parseV1Time(v: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{3})$/.exec(v);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, ms] = m;
  return Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`);
}

export function createProductionEndpoint(options: {
  keys: string[];
  clock: Clock;
  encryptType?: EncryptType;
  /** V2: newInstance answers 000004 and the instance is ready this long after. */
  provisioningMs?: number;
}) {
  const { clock } = options;
  const answerKey = options.keys[0]!;
  const encryptType = options.encryptType ?? 1;
  const inbox: Received[] = [];
  const faults: Array<{ activity: string; fault: Fault; remaining: number; skip: number }> = [];
  const seenTokens = new Set<string>();
  const seenNonces = new Set<string>();
  const instances = new Map<string, Instance>();
  const byOrder = new Map<string, string>();
  let hangRelease: Array<() => void> = [];

  function takeFault(activity: string): Fault | undefined {
    const f = faults.find(
      (x) => (x.activity === activity || x.activity === '*') && x.remaining > 0,
    );
    if (!f) return undefined;
    if (f.skip > 0) {
      f.skip--;
      return undefined;
    }
    f.remaining--;
    return f.fault;
  }

  /** V1 encrypts the credentials; V2 answers them in plain text (spec §2.5). */
  function appInfo(inst: Instance, protocol: 'v1' | 'v2') {
    const secret = (plain: string) =>
      protocol === 'v1' ? encryptField(plain, answerKey, encryptType) : plain;
    return {
      frontEndUrl: `https://${inst.instanceId}.apps.example.com`,
      adminUrl: `https://${inst.instanceId}.apps.example.com/admin`,
      userName: secret('admin'),
      password: secret(`pw-${inst.instanceId}`),
      memo: 'installed',
    };
  }

  function handle(protocol: 'v1' | 'v2', activity: string, f: Record<string, unknown>) {
    const now = clock.now().getTime();
    const s = (k: string) => (f[k] === undefined ? undefined : String(f[k]));
    const inst = s('instanceId') ? instances.get(s('instanceId')!) : undefined;
    switch (activity) {
      case 'newInstance':
      case 'getLicense': {
        if (protocol === 'v1' && activity === 'newInstance') {
          for (const k of ['mobilePhone', 'email']) {
            try {
              if (s(k)) decryptField(s(k)!, answerKey, 1);
            } catch {
              return { resultCode: '000002', resultMsg: `${k} does not decrypt` };
            }
          }
        }
        const orderKey = protocol === 'v1' ? s('orderId')! : `${s('orderId')}/${s('orderLineId')}`;
        let id = byOrder.get(orderKey);
        if (!id) {
          id = s('businessId')!;
          const delay = protocol === 'v2' ? (options.provisioningMs ?? 0) : 0;
          instances.set(id, { instanceId: id, orderKey, readyAt: now + delay, state: 'normal' });
          byOrder.set(orderKey, id);
        }
        const i = instances.get(id)!;
        if (activity === 'getLicense') {
          return {
            resultCode: '000000',
            resultMsg: 'success',
            instanceId: id,
            license: `LIC-${s('orderId')}`,
          };
        }
        if (protocol === 'v2') {
          return {
            resultCode: i.readyAt > now ? '000004' : '000000',
            resultMsg: 'ok',
            instanceId: id,
          };
        }
        return {
          resultCode: '000000',
          resultMsg: 'success',
          instanceId: id,
          encryptType: String(encryptType),
          appInfo: appInfo(i, protocol),
        };
      }
      case 'queryInstance': {
        const ids = (s('instanceId') ?? '').split(',');
        const info = ids
          .map((id) => instances.get(id))
          .filter((i): i is Instance => !!i && i.readyAt <= now)
          .map((i) => ({ instanceId: i.instanceId, appInfo: appInfo(i, protocol) }));
        if (info.length === 0) return { resultCode: '000004', resultMsg: 'in progress' };
        return {
          resultCode: '000000',
          resultMsg: 'success',
          ...(protocol === 'v1' ? { encryptType: String(encryptType) } : {}),
          info,
        };
      }
      case 'orderNotify':
        return { resultCode: '000000', resultMsg: 'success' };
      case 'releaseInstance':
        if (!inst) return { resultCode: '000003', resultMsg: 'no such instance' };
        inst.state = 'released';
        return { resultCode: '000000', resultMsg: 'success' };
      default: {
        if (!inst || inst.state === 'released')
          return { resultCode: '000003', resultMsg: 'no such instance' };
        if (activity === 'expireInstance') inst.state = 'frozen';
        if (activity === 'instanceStatus')
          inst.state = s('instanceStatus') === 'FREEZE' ? 'frozen' : 'normal';
        if (activity === 'updateInstanceStatus')
          inst.state = s('status') === 'FREEZE' ? 'frozen' : 'normal';
        if (activity === 'refreshInstance') inst.expireTime = s('expireTime');
        if (activity === 'upgrade') inst.skuCode = s('skuCode');
        return { resultCode: '000000', resultMsg: 'success' };
      }
    }
  }

  async function answer(activity: string, body: object, received: Received, c: Context) {
    received.resultCode = (body as { resultCode?: string }).resultCode;
    const fault = takeFault(activity);
    if (fault?.kind === 'drop') {
      received.resultCode = undefined;
      (c.env as { incoming?: IncomingMessage }).incoming?.socket.destroy();
      return new Response(null, { status: 500 });
    }
    if (fault?.kind === 'hang') await new Promise<void>((r) => hangRelease.push(r));
    if (fault?.kind === 'result')
      Object.assign(body, { resultCode: fault.code, resultMsg: 'scripted failure' });
    if (fault?.kind === 'bad-appinfo' && 'appInfo' in body) {
      (body.appInfo as Record<string, string>).password = 'AbCdEfGh12345678notbase64!!';
    }
    if (fault?.kind === 'other-instance' && 'instanceId' in body) {
      Object.assign(body, { instanceId: `${body.instanceId}-other` });
    }
    const text = JSON.stringify(body);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (fault?.kind !== 'no-body-sign') {
      headers['Body-Sign'] = bodySignHeader(
        fault?.kind === 'bad-body-sign' ? 'wrong-key' : answerKey,
        text,
      );
    }
    if (fault?.kind === 'result') received.resultCode = fault.code;
    return new Response(text, { status: fault?.kind === 'http-500' ? 500 : 200, headers });
  }

  const app = new Hono();
  app.get('/koogallery', async (c) => {
    const url = new URL(c.req.url);
    const params = [...url.searchParams.entries()];
    const fields = Object.fromEntries(params);
    const received: Received = {
      protocol: 'v1',
      activity: fields.activity ?? '',
      fields,
      verified: false,
      callId: fields.authToken ?? '',
      at: clock.now(),
    };
    inbox.push(received);
    const token = fields.authToken ?? '';
    const stamp = parseV1Time(fields.timeStamp ?? '');
    if (verifyV1(options.keys, params, token) === undefined) received.reason = 'bad authToken';
    else if (stamp === undefined || Math.abs(stamp - clock.now().getTime()) > 300_000)
      received.reason = 'stale timeStamp';
    else if (seenTokens.has(token)) received.reason = 'replayed authToken';
    if (received.reason)
      return answer(
        received.activity,
        { resultCode: '000001', resultMsg: received.reason },
        received,
        c,
      );
    seenTokens.add(token);
    received.verified = true;
    return answer(received.activity, handle('v1', received.activity, fields), received, c);
  });
  app.post('/koogallery', async (c) => {
    const raw = Buffer.from(await c.req.arrayBuffer());
    const q = (k: string) => c.req.query(k) ?? '';
    let fields: Record<string, unknown> = {};
    try {
      fields = JSON.parse(raw.toString('utf8'));
    } catch {}
    const activity = String(fields.activity ?? '');
    const received: Received = {
      protocol: 'v2',
      activity,
      fields,
      verified: false,
      callId: q('nonce'),
      at: clock.now(),
    };
    inbox.push(received);
    const ts = q('timestamp');
    const ms = ts.length === 10 ? Number(ts) * 1000 : Number(ts);
    if (verifyV2(options.keys, q('nonce'), ts, raw, q('signature')) === undefined)
      received.reason = 'bad signature';
    else if (!Number.isFinite(ms) || Math.abs(ms - clock.now().getTime()) > 60_000)
      received.reason = 'stale timestamp';
    else if (seenNonces.has(q('nonce'))) received.reason = 'replayed nonce';
    if (received.reason)
      return answer(activity, { resultCode: '000001', resultMsg: received.reason }, received, c);
    seenNonces.add(q('nonce'));
    received.verified = true;
    return answer(activity, handle('v2', activity, fields), received, c);
  });

  return {
    app,
    inbox,
    instances,
    /** After `after` good answers, the next `times` calls of `activity` ('*': any) get this fault. */
    fail(activity: string, fault: Fault, times = 1, after = 0) {
      faults.push({ activity, fault, remaining: times, skip: after });
    },
    releaseHangs() {
      for (const r of hangRelease) r();
      hangRelease = [];
    },
  };
}

export type ProductionEndpoint = ReturnType<typeof createProductionEndpoint>;
