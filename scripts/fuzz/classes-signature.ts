import { buildRequest, type Corruption } from '../../src/simulator/marketplace/request-builder.js';
import { fromBuilt, type Pairs, signV1, signV2, v1Wire, v2Wire } from './calls.js';
import {
  type Builder,
  bodyOf as body,
  type Env,
  judged,
  nonceOf,
  stamp,
  v1Pairs,
} from './model.js';
import type { Rng } from './random.js';
import { type Base, validBase } from './targets.js';
import type { Wire } from './wire.js';

/**
 * Calls whose signature must not verify (000001, nothing stored): none at all, the wrong key,
 * a change after signing, a timestamp outside the freshness window. Each goes through the
 * marketplace simulator's request builder where it has the corruption, or is signed here.
 */

/** The marketplace simulator's builder with a deliberate corruption. */
function corrupted(rng: Rng, env: Env, b: Base, corruption: Corruption) {
  const built = buildRequest(
    {
      protocol: b.protocol,
      url: `http://127.0.0.1${env.path}`,
      activity: b.activity,
      fields: b.fields,
      key: env.keys[0]!,
      corruption,
    },
    { now: env.signAt(), nonce: () => nonceOf(rng) },
  );
  return fromBuilt(built);
}

export const unsigned: Builder = (rng, env) => {
  const b = validBase(rng, env);
  const at = stamp(env);
  const raw = Buffer.from(JSON.stringify(body(b)));
  const ts = String(at.getTime());
  const n = nonceOf(rng);
  const kind = rng.pick(
    b.protocol === 'v1'
      ? ['no-token', 'empty-token', 'as-post', 'bad-timestamp-format']
      : [
          'no-query',
          'no-signature',
          'empty-signature',
          'as-get',
          'bad-timestamp-format',
          'long-nonce',
        ],
  );
  const refuse = (wire: Wire) =>
    judged(env, 'unsigned', `${b.protocol} ${b.activity} ${kind}`, wire, '000001');
  const pairs = v1Pairs(b.activity, b.fields, at);
  const key = env.keys[0]!;
  switch (kind) {
    case 'no-token':
      return refuse(v1Wire(env.path, pairs));
    case 'empty-token':
      return refuse(v1Wire(env.path, [...pairs, ['authToken', '']]));
    case 'as-post': {
      const q = v1Wire(env.path, signV1(pairs, key)).path.split('?')[1]!;
      const headers = { 'content-type': 'application/json' };
      return refuse({ method: 'POST', path: `${env.path}?${q}`, headers, body: Buffer.from('{}') });
    }
    case 'bad-timestamp-format': {
      if (b.protocol === 'v1') {
        const p: Pairs = pairs.map(([k, v]) => [k, k === 'timeStamp' ? at.toISOString() : v]);
        return refuse(v1Wire(env.path, signV1(p, key)));
      }
      const bad = rng.pick([ts.slice(0, 12), `${ts}0`, at.toISOString(), `-${ts}`, '0x1']);
      return refuse(v2Wire(env.path, signV2(raw, key, n, bad), raw));
    }
    case 'no-query':
      return refuse(v2Wire(env.path, [], raw));
    case 'no-signature':
      return refuse(
        v2Wire(
          env.path,
          [
            ['timestamp', ts],
            ['nonce', n],
          ],
          raw,
        ),
      );
    case 'empty-signature':
      return refuse(
        v2Wire(
          env.path,
          [
            ['signature', ''],
            ['timestamp', ts],
            ['nonce', n],
          ],
          raw,
        ),
      );
    case 'as-get': {
      const q = v2Wire(env.path, signV2(raw, key, n, ts), raw).path.split('?')[1]!;
      return refuse({ method: 'GET', path: `${env.path}?${q}`, headers: {} });
    }
    default:
      return refuse(v2Wire(env.path, signV2(raw, key, 'N'.repeat(rng.int(129, 400)), ts), raw));
  }
};

export const wrongKey: Builder = (rng, env) => {
  const b = validBase(rng, env);
  const k = env.keys[0]!;
  const signWithKey = rng.pick([
    `${k} `,
    k.toUpperCase(),
    k.slice(0, -1),
    'test-access-key-123',
    rng.hex(32),
    'x',
  ]);
  const innerDigest = rng.pick(['hmac', 'sha256'] as const);
  const wire = corrupted(rng, env, b, { signWithKey, innerDigest });
  return judged(env, 'wrong key', `${b.protocol} ${b.activity}`, wire, '000001');
};

export const tampered: Builder = (rng, env) => {
  const b = validBase(rng, env);
  const kinds = ['value', 'signature', 'shift-timestamp', 'add-param', 'swap-body'];
  if (b.protocol === 'v2') kinds.push('whitespace', 'change-nonce');
  const kind = rng.pick(kinds);
  const refuse = (wire: Wire) =>
    judged(env, 'tampered', `${b.protocol} ${b.activity} ${kind}`, wire, '000001');
  if (kind === 'value' || kind === 'signature' || kind === 'whitespace')
    return refuse(corrupted(rng, env, b, { tamper: kind }));
  const at = stamp(env);
  const key = env.keys[0]!;
  if (b.protocol === 'v1') {
    const pairs = signV1(v1Pairs(b.activity, b.fields, at), key);
    const token = pairs.at(-1)!;
    if (kind === 'shift-timestamp')
      return refuse(
        v1Wire(
          env.path,
          pairs.map(([k, v]) => [k, k === 'timeStamp' ? String(BigInt(v) + 1n) : v]),
        ),
      );
    if (kind === 'add-param')
      return refuse(v1Wire(env.path, [...pairs, [rng.pick(['testFlag2', 'extra']), '1']]));
    // Another call's parameters under this call's token.
    const other = v1Pairs(b.activity, { ...b.fields, orderId: 'OTHER' }, at);
    return refuse(v1Wire(env.path, [...other, token]));
  }
  const raw = Buffer.from(JSON.stringify(body(b)));
  const n = nonceOf(rng);
  const ts = String(at.getTime());
  const [sig] = signV2(raw, key, n, ts);
  const q = (t: string, nn: string): Pairs => [sig!, ['timestamp', t], ['nonce', nn]];
  switch (kind) {
    case 'shift-timestamp':
      return refuse(v2Wire(env.path, q(String(at.getTime() + 1), n), raw));
    case 'change-nonce':
      return refuse(v2Wire(env.path, q(ts, nonceOf(rng)), raw));
    case 'add-param':
      return refuse(
        v2Wire(env.path, q(ts, n), Buffer.from(JSON.stringify({ ...body(b), extra: 1 }))),
      );
    default:
      return refuse(
        v2Wire(env.path, q(ts, n), Buffer.from(JSON.stringify({ ...body(b), orderId: 'OTHER' }))),
      );
  }
};

export const stale: Builder = (rng, env) => {
  const b = validBase(rng, env);
  const limit = b.protocol === 'v1' ? env.oracle.v1SkewMs : env.oracle.v2SkewMs;
  const beyond = rng.pick([10_000, 60_000, 3_600_000, 86_400_000 * rng.int(1, 400)]);
  const skewMs = (rng.chance(0.5) ? -1 : 1) * (limit + beyond);
  const timestampUnit = b.protocol === 'v2' && rng.chance(0.2) ? ('s' as const) : ('ms' as const);
  const wire = corrupted(rng, env, b, { skewMs, timestampUnit });
  const detail = `${b.protocol} ${b.activity} ${skewMs > 0 ? 'future' : 'past'} ${Math.round(Math.abs(skewMs) / 1000)} s${timestampUnit === 's' ? ' (seconds)' : ''}`;
  return judged(env, 'stale', detail, wire, '000001');
};
