import { tampered } from './classes-signature.js';
import {
  type Builder,
  bodyOf as body,
  type Env,
  type FuzzCall,
  judged,
  signedV1,
  signedV2,
} from './model.js';
import { mutateBytes, mutateQuery } from './mutations.js';
import { validBase } from './targets.js';

/**
 * Calls refused before anything is stored: replays of calls already recorded (000001),
 * structurally broken requests (000002, before authentication), and valid signed requests
 * mutated after signing (whatever the mutation hit, the endpoint must refuse them).
 */

/** A replay is authentic by its signature: only the remembered nonce or token refuses it. */
function replay(env: Env, detail: string, wire: FuzzCall['wire']): FuzzCall {
  const c = judged(env, 'replayed', detail, wire);
  if (c.expect.authentic !== true) c.selfCheck = `not a replay: ${c.expect.why}`;
  c.expect = { codes: ['000001'], msg: /already used/, authentic: false, why: 'replay' };
  return c;
}

export const replayed: Builder = (rng, env) => {
  const original = rng.pick(env.originals);
  const isV1 = original.wire.method === 'GET';
  const kind = isV1
    ? rng.pick(['exact', 'reordered'])
    : rng.pick(['exact', 'new-body', 'new-timestamp']);
  const detail = `${isV1 ? 'v1' : 'v2'} ${original.detail.split(' ')[1] ?? ''} ${kind}`;
  if (kind === 'exact') return replay(env, detail, original.wire);
  if (kind === 'reordered') {
    const [path, q] = original.wire.path.split('?') as [string, string];
    const pairs = q.split('&');
    for (let i = pairs.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [pairs[i], pairs[j]] = [pairs[j]!, pairs[i]!];
    }
    return replay(env, detail, { ...original.wire, path: `${path}?${pairs.join('&')}` });
  }
  const q = new URLSearchParams(original.wire.path.split('?')[1]);
  // The marketplace remembers (key, nonce): the replay is signed with the original's key.
  const o = { nonce: q.get('nonce')!, key: env.keys[original.expect.keyIndex ?? 0]! };
  const b = validBase(rng, env, 'v2');
  const wire =
    kind === 'new-body'
      ? signedV2(rng, env, body(b), o)
      : signedV2(rng, env, original.wire.body!, o);
  return replay(env, detail, wire);
};

export const structural: Builder = (rng, env) => {
  const b = validBase(rng, env);
  const kind = rng.pick([
    'duplicate-param',
    'method',
    'content-type',
    'oversized',
    'oversized-chunked',
  ]);
  if (kind === 'duplicate-param') {
    const wire =
      b.protocol === 'v1' ? signedV1(env, b.activity, b.fields) : signedV2(rng, env, body(b));
    const [path, q] = wire.path.split('?') as [string, string];
    const pairs = q.split('&');
    const dup = rng.chance(0.7) ? rng.pick(pairs) : rng.pick(['x=1&x=2', 'a=&a=']);
    return judged(
      env,
      'structural',
      `${b.protocol} ${kind} ${dup.split('=')[0]}`,
      { ...wire, path: `${path}?${q}&${dup}` },
      '000002',
    );
  }
  const v2 = validBase(rng, env, 'v2');
  const wire = signedV2(rng, env, body(v2));
  if (kind === 'method') {
    const method = rng.pick(['PUT', 'DELETE', 'PATCH', 'OPTIONS']);
    return judged(env, 'structural', `method ${method}`, { ...wire, method }, '000002');
  }
  if (kind === 'content-type') {
    const type = rng.pick([
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/jsonp',
      'text/json',
      'application/xml',
    ]);
    return judged(
      env,
      'structural',
      `content-type ${type.split(';')[0]}`,
      signedV2(rng, env, body(v2), { contentType: type }),
      '000002',
    );
  }
  const pad = 'p'.repeat(env.oracle.maxBodyBytes + rng.int(1, 40_000));
  const big = signedV2(rng, env, { ...body(v2), pad });
  return judged(
    env,
    'structural',
    kind,
    { ...big, chunked: kind === 'oversized-chunked' },
    '000002',
  );
};

export const mutatedAfterSigning: Builder = (rng, env) => {
  const b = validBase(rng, env, undefined, undefined, rng.chance(0.8) ? 'valid' : 'unknown');
  const wire =
    b.protocol === 'v1' ? signedV1(env, b.activity, b.fields) : signedV2(rng, env, body(b));
  for (let attempt = 0; attempt < 20; attempt++) {
    const onBody = b.protocol === 'v2' && rng.chance(0.7);
    let mutated = wire;
    let op: string;
    if (onBody) {
      const m = mutateBytes(rng, wire.body!);
      mutated = { ...wire, body: m.value };
      op = `body ${m.op}`;
    } else {
      const [path, q] = wire.path.split('?') as [string, string];
      const m = mutateQuery(rng, q);
      mutated = { ...wire, path: `${path}?${m.value}` };
      op = `query ${m.op}`;
    }
    const c = judged(env, 'mutated after signing', `${b.protocol} ${b.activity} ${op}`, mutated);
    // A mutation the signature does not cover (an extra V2 query parameter, an equivalent
    // escape) leaves an authentic call: not this class, draw another.
    if (c.expect.authentic === false) return c;
  }
  return tampered(rng, env);
};
