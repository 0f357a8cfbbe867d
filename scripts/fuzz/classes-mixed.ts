import {
  inlineNewInstance,
  type Pairs,
  signV1,
  targeted,
  v1Names,
  v1Wire,
  v2Names,
} from './calls.js';
import {
  type Builder,
  bodyOf as body,
  type Env,
  type FuzzCall,
  judged,
  type SignOptions,
  signedV1,
  signedV2,
  stamp,
  v1Pairs,
} from './model.js';
import {
  hostileJson,
  hostileNames,
  hostileStrings,
  mutateBytes,
  rawFragments,
} from './mutations.js';
import type { Rng } from './random.js';
import { type Base, validBase } from './targets.js';

/**
 * Authenticated calls whose answer depends on what they ask: valid calls of every activity in
 * both generations (and their documented variants), calls on unknown instances, valid calls
 * carrying hostile extra content, and random mutations signed after mutating.
 */

/** A query string carries UTF-8: a lone surrogate cannot travel in V1. */
const wellFormed = (s: string) =>
  s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

const success = (codes: string[]) =>
  codes.every((c) => ['000000', '000004', '000005', '000003'].includes(c));

/** Documented variants a valid call may take: rotation key, inner digest, seconds, layout. */
function variant(rng: Rng, env: Env, b: Base): { o: SignOptions; detail: string } {
  const o: SignOptions = {};
  const notes: string[] = [];
  if (rng.chance(0.25)) {
    o.key = env.keys[1]!;
    notes.push('second key');
  }
  if (rng.chance(0.05)) {
    const limit = b.protocol === 'v1' ? env.oracle.v1SkewMs : env.oracle.v2SkewMs;
    o.skewMs = (rng.chance(0.5) ? -1 : 1) * (limit - 10_000);
    notes.push('near the window edge');
  }
  if (b.protocol === 'v2') {
    if (rng.chance(0.2)) {
      o.inner = 'sha256';
      notes.push('sha256 inner digest');
    }
    if (rng.chance(0.1)) {
      o.seconds = true;
      notes.push('seconds timestamp');
    }
    if (rng.chance(0.1)) {
      o.pretty = true;
      notes.push('indented body');
    }
    if (rng.chance(0.1)) {
      o.contentType = rng.pick([
        'application/json',
        'application/vnd.kgd+json; charset=utf-8',
        'APPLICATION/JSON',
      ]);
      notes.push(`content-type ${o.contentType}`);
    }
  }
  return { o, detail: notes.join(', ') };
}

/** Overrides the oracle's codes where the run knows more (resends, the inline purchase body). */
function withCodes(c: FuzzCall, codes: string[]): FuzzCall {
  const edge = c.expect.authentic === 'maybe' ? ['000001'] : [];
  return { ...c, expect: { ...c.expect, codes: [...edge, ...codes] } };
}

export const valid: Builder = (rng, env) => {
  const b = validBase(rng, env);
  const { o, detail } = variant(rng, env, b);
  return { ...validCall(rng, env, b, o, detail), skewed: o.skewMs !== undefined };
};

function validCall(rng: Rng, env: Env, b: Base, o: SignOptions, detail: string): FuzzCall {
  const name = `${b.protocol} ${b.activity}${detail ? ` (${detail})` : ''}`;
  if (b.activity === 'newInstance' && rng.chance(0.2)) {
    // A resend: the marketplace's at-least-once delivery; the same instance must come back.
    if (b.protocol === 'v1' && env.pools.v1Orders.length > 0) {
      const order = rng.pick(env.pools.v1Orders);
      const c = judged(
        env,
        'valid',
        `${name} resent`,
        signedV1(env, 'newInstance', { ...b.fields, orderId: order.orderId }, o),
        success,
      );
      return { ...c, instanceId: order.instanceId };
    }
    if (b.protocol === 'v2' && env.pools.v2Orders.length > 0) {
      const order = rng.pick(env.pools.v2Orders);
      const resent = { ...body(b), orderId: order.orderId, orderLineId: order.orderLineId };
      const c = judged(env, 'valid', `${name} resent`, signedV2(rng, env, resent, o), success);
      // Ready instances answer 000000, the others still 000004.
      return { ...withCodes(c, ['000000', '000004']), instanceId: order.instanceId };
    }
  }
  if (b.protocol === 'v2' && b.activity === 'newInstance' && rng.chance(0.15)) {
    const c = judged(
      env,
      'valid',
      `${name} inline body`,
      signedV2(rng, env, { activity: 'newInstance', ...inlineNewInstance(rng) }, o),
    );
    return withCodes(c, ['000004']);
  }
  const wire =
    b.protocol === 'v1' ? signedV1(env, b.activity, b.fields, o) : signedV2(rng, env, body(b), o);
  return judged(env, 'valid', name, wire, success);
}

export const unknownInstance: Builder = (rng, env) => {
  const protocol = rng.pick(['v1', 'v2'] as const);
  const names: readonly string[] = protocol === 'v1' ? v1Names : v2Names;
  const activity = rng.pick(names.filter((a) => targeted.has(a)));
  const b = validBase(rng, env, protocol, activity, 'unknown');
  // A real call: a debug call (testFlag=1) is answered success for any instance (spec §11).
  b.fields.testFlag = '0';
  const wire =
    protocol === 'v1' ? signedV1(env, b.activity, b.fields) : signedV2(rng, env, body(b));
  return judged(env, 'unknown instance', `${protocol} ${activity}`, wire, '000003');
};

/** JSON text with `raw` spliced in as the value of `name` (numbers and depth JSON.stringify cannot write). */
function withRaw(obj: Record<string, unknown>, name: string, raw: string): Buffer {
  const marker = `@@raw-${name.length}@@`;
  return Buffer.from(JSON.stringify({ ...obj, [name]: marker }).replace(`"${marker}"`, raw));
}

const unknownName = (rng: Rng) => (rng.chance(0.7) ? rng.pick(hostileNames) : `x-${rng.hex(6)}`);

export const hostileValid: Builder = (rng, env) => {
  const b = validBase(rng, env);
  const n = rng.int(1, 4);
  if (b.protocol === 'v1') {
    const extra: Pairs = Array.from({ length: n }, () => [
      unknownName(rng),
      wellFormed(rng.pick(hostileStrings)).slice(0, 2000),
    ]);
    // A query longer than Node's 16 KB header limit but within the documented 64 KB.
    if (rng.chance(0.04)) extra.push(['x-long', 'z'.repeat(rng.int(17_000, 60_000))]);
    const pairs = v1Pairs(b.activity, b.fields, stamp(env));
    const names = new Set(pairs.map(([k]) => k));
    const fresh = extra.filter(([k]) => !names.has(k) && names.add(k));
    const wire = v1Wire(env.path, signV1([...pairs, ...fresh], env.keys[0]!));
    return judged(
      env,
      'hostile but valid',
      `v1 ${b.activity} extra ${fresh.map(([k]) => JSON.stringify(k.slice(0, 12))).join(' ')} (${wire.path.length} chars)`,
      wire,
      success,
    );
  }
  let obj: Record<string, unknown> = body(b);
  const added: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = unknownName(rng);
    if (Object.hasOwn(obj, name) || name === 'orderInfo' || name === 'buyerInfo') continue;
    obj = { ...obj, [name]: rng.chance(0.5) ? hostileJson(rng) : rng.pick(hostileStrings) };
    added.push(name);
  }
  const rawName = `x-raw-${rng.hex(4)}`;
  const drawn = rng.chance(0.5) ? rawFragments(rng) : undefined;
  // Valid means within the 64 KB body limit too: a fragment that would cross it is left out.
  const raw = drawn && drawn.length + JSON.stringify(obj).length < 60_000 ? drawn : undefined;
  const bytes = raw === undefined ? Buffer.from(JSON.stringify(obj)) : withRaw(obj, rawName, raw);
  const detail = `v2 ${b.activity} extra ${added.map((a) => JSON.stringify(a.slice(0, 12))).join(' ')}${raw ? ` raw ${raw.slice(0, 16)}` : ''}`;
  return judged(env, 'hostile but valid', detail, signedV2(rng, env, bytes), success);
};

/** One structured change to a V2 body or V1 parameter list, then a correct signature. */
export const resigned: Builder = (rng, env) => {
  const b = validBase(rng, env, undefined, undefined, rng.chance(0.85) ? 'valid' : 'unknown');
  const names = Object.keys(b.fields);
  const op = rng.pick([
    'delete',
    'set',
    'set',
    'add',
    'activity',
    'bytes',
    'duplicate-key',
    'wrap',
  ]);
  const name = rng.pick(names.length > 0 ? names : ['orderId']);
  const detail = (what: string) => `${b.protocol} ${b.activity} ${what}`;
  if (b.protocol === 'v1') {
    const f: Record<string, unknown> = { ...b.fields };
    let what = op;
    if (op === 'delete') {
      delete f[name];
      what = `delete ${name}`;
    } else if (op === 'add') {
      f[unknownName(rng)] = wellFormed(rng.pick(hostileStrings));
    } else if (op === 'activity') {
      const wire = signedV1(
        env,
        rng.pick(['newInstance', 'upgrade', 'NewInstance', 'queryInstance', 'x']),
        f,
      );
      return judged(env, 'mutated then signed', detail('activity'), wire);
    } else {
      const value = wellFormed(rng.pick(hostileStrings));
      f[name] = value;
      what = `set ${name}=${JSON.stringify(value.slice(0, 12))}`;
    }
    return judged(env, 'mutated then signed', detail(what), signedV1(env, b.activity, f));
  }
  const obj: Record<string, unknown> = body(b);
  let bytes: Buffer;
  let what: string = op;
  switch (op) {
    case 'delete':
      delete obj[name];
      bytes = Buffer.from(JSON.stringify(obj));
      what = `delete ${name}`;
      break;
    case 'set': {
      const value = rng.chance(0.5) ? hostileJson(rng) : rng.pick(hostileStrings);
      obj[name] = value;
      bytes = Buffer.from(JSON.stringify(obj));
      what = `set ${name}=${JSON.stringify(value)?.slice(0, 16)}`;
      break;
    }
    case 'add':
      bytes = withRaw(obj, unknownName(rng), rawFragments(rng));
      break;
    case 'activity':
      obj.activity = rng.pick([
        'newInstance',
        'queryInstance',
        'upgrade',
        'orderNotify',
        'NewInstance',
      ]);
      bytes = Buffer.from(JSON.stringify(obj));
      what = `activity ${obj.activity}`;
      break;
    case 'duplicate-key': {
      const text = JSON.stringify(obj);
      const dupe = `"${name}":${JSON.stringify(rng.pick(hostileStrings))},`;
      bytes = Buffer.from(
        rng.chance(0.5) ? `{${dupe}${text.slice(1)}` : `${text.slice(0, -1)},${dupe.slice(0, -1)}}`,
      );
      what = `duplicate ${name}`;
      break;
    }
    case 'wrap':
      bytes = Buffer.from(
        rng.pick([
          `[${JSON.stringify(obj)}]`,
          `{"body":${JSON.stringify(obj)}}`,
          JSON.stringify(JSON.stringify(obj)),
        ]),
      );
      break;
    default: {
      const m = mutateBytes(rng, Buffer.from(JSON.stringify(obj)));
      bytes = m.value;
      what = `bytes ${m.op}`;
    }
  }
  return judged(env, 'mutated then signed', detail(what), signedV2(rng, env, bytes));
};
