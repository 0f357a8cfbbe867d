import { formatV1TimeStamp } from '../../src/simulator/marketplace/time-format.js';
import { type Pairs, type Protocol, signV1, signV2, v1Wire, v2Wire } from './calls.js';
import { type Expectation, expectFor, type OracleContext } from './oracle.js';
import type { Rng } from './random.js';
import type { Reply, Wire } from './wire.js';

/** What every call builder needs: the endpoint, the keys, the instances the run knows. */
export interface Base {
  protocol: Protocol;
  activity: string;
  fields: Record<string, unknown>;
}

export interface Env {
  path: string;
  /** The keys kgd serve is configured with (rotation: both are valid). */
  keys: string[];
  /** Signing time: wall clock, but strictly increasing, so two V1 calls never share a token. */
  signAt(): Date;
  pools: Pools;
  oracle: OracleContext;
  /** Authenticated calls already answered, for the replay class. */
  originals: FuzzCall[];
}

interface Pools {
  v1Live: string[];
  v2Live: string[];
  releaseTargets: string[];
  released: string[];
  /** V1 purchases and their instance: a resend must get the same instanceId. */
  v1Orders: { orderId: string; instanceId: string }[];
  v2Orders: { orderId: string; orderLineId: string; instanceId: string }[];
}

export interface FuzzCall {
  cls: string;
  /** Protocol / activity / mutation: what exactly this call exercised. */
  detail: string;
  wire: Wire;
  expect: Expectation;
  /** The answer must carry this instanceId (a resent purchase). */
  instanceId?: string;
  /** Signed with a deliberate skew: by the time of a replay it may have become stale. */
  skewed?: boolean;
  /** The builder meant another outcome than the oracle computed (a fuzzer bug, reported). */
  selfCheck?: string;
  /** Told of the answer (the set-up records the instances it created). */
  onAnswer?: (answer: { resultCode?: string; instanceId?: string }, reply: Reply) => void;
}

export type Builder = (rng: Rng, env: Env) => FuzzCall;

export interface SignOptions {
  key?: string;
  skewMs?: number;
  inner?: 'hmac' | 'sha256';
  /** V2: a 10-digit seconds timestamp. */
  seconds?: boolean;
  pretty?: boolean;
  contentType?: string;
  nonce?: string;
}

export const nonceOf = (rng: Rng) => rng.hex(32).toUpperCase();

/** V1 pairs for an activity and its fields, stamped `timeStamp` (undefined fields omitted). */
export function v1Pairs(activity: string, fields: Record<string, unknown>, at: Date): Pairs {
  const pairs: Pairs = [['activity', activity]];
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) pairs.push([k, String(v)]);
  pairs.push(['timeStamp', formatV1TimeStamp(at)]);
  return pairs;
}

/** Signing time for a call, skew included. */
export const stamp = (env: Env, o: SignOptions = {}) =>
  new Date(env.signAt().getTime() + (o.skewMs ?? 0));

/** A correctly signed V1 GET of `activity` with `fields`. */
export function signedV1(
  env: Env,
  activity: string,
  fields: Record<string, unknown>,
  o: SignOptions = {},
): Wire {
  return v1Wire(env.path, signV1(v1Pairs(activity, fields, stamp(env, o)), o.key ?? env.keys[0]!));
}

/** A correctly signed V2 POST of `body` (an object, serialised once, or exact bytes). */
export function signedV2(
  rng: Rng,
  env: Env,
  body: Record<string, unknown> | Buffer,
  o: SignOptions = {},
): Wire {
  const raw = Buffer.isBuffer(body)
    ? body
    : Buffer.from(JSON.stringify(body, null, o.pretty ? 2 : undefined));
  const at = stamp(env, o);
  const ts = o.seconds ? String(Math.floor(at.getTime() / 1000)) : String(at.getTime());
  const key = o.key ?? env.keys[0]!;
  return v2Wire(
    env.path,
    signV2(raw, key, o.nonce ?? nonceOf(rng), ts, o.inner),
    raw,
    o.contentType,
  );
}

/** A V2 body: the activity and its fields. */
export const bodyOf = (b: Base) => ({ activity: b.activity, ...b.fields });

/**
 * A call whose expectation the oracle computes. `intent` is what its builder meant (a code, or
 * a test of the codes); a disagreement is reported as a fuzzer fault, never silently trusted.
 */
export function judged(
  env: Env,
  cls: string,
  detail: string,
  wire: Wire,
  intent?: string | ((codes: string[]) => boolean),
): FuzzCall {
  const expect = expectFor(wire, env.oracle, Date.now());
  const c: FuzzCall = { cls, detail, wire, expect };
  const agrees =
    intent === undefined ||
    (typeof intent === 'string' ? expect.codes.join() === intent : intent(expect.codes));
  if (!agrees) c.selfCheck = `the oracle says ${expect.codes.join('/')} (${expect.why})`;
  return c;
}
