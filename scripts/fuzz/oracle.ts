import type { Pairs, Protocol } from './calls.js';
import { type AuthContext, gate } from './oracle-auth.js';
import {
  type ActivityRules,
  decodeBase64List,
  followsRules,
  inlineMarkers,
  v1Rules,
  v2Rules,
} from './rules.js';
import type { Wire } from './wire.js';

/**
 * The fuzzer's oracle: from a request's wire bytes and what the run knows about instances, the
 * result code(s) the endpoint must answer (spec §3) and whether the call is authentic (and so
 * may be recorded). Independent of the gateway's code: the spec, the README and HTTP decide.
 */
export type Standing = 'live' | 'released' | 'release-target';

export interface OracleContext extends AuthContext {
  standing(instanceId: string): Standing | undefined;
}

export interface Expectation {
  codes: string[];
  /** The answer's resultMsg must match (the refusal says why). */
  msg?: RegExp;
  /** May the call leave rows behind? `maybe` at the edge of the freshness window. */
  authentic: boolean | 'maybe';
  /** Which configured key the call verifies under (replays are remembered per key). */
  keyIndex?: number;
  why: string;
}

type Outcome = { codes: string[]; msg?: RegExp; why: string };
const invalid = (why: string, msg?: RegExp): Outcome => ({ codes: ['000002'], why, msg });

/**
 * PostgreSQL cannot store U+0000, nor (in jsonb) a lone UTF-16 surrogate: a value the service
 * would have to keep with one is an invalid parameter (000002), not an internal error (000005)
 * the marketplace would retry for hours.
 */
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const unstorable = (values: unknown[]) =>
  values.some((v) => typeof v === 'string' && (v.includes('\0') || loneSurrogate.test(v)));

function query(list: string, ctx: OracleContext): Outcome {
  const ids = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (ids.length === 0) return invalid('no ids', /instanceId/);
  if (ids.length > 100) return invalid('over 100 ids', /at most 100/);
  if (ids.some((id) => id.length > 64)) return invalid('id over 64', /longer than 64/);
  if (unstorable(ids)) return invalid('unstorable text in an id');
  const standings = ids.map((id) => ctx.standing(id));
  if (standings.every((s) => s === undefined || s === 'released'))
    return { codes: ['000003'], why: 'no live instance' };
  // Live instances are pending, deploying, ready or failed; a mix with unknown ids is 000003.
  const codes = standings.every((s) => s === 'live')
    ? ['000000', '000004', '000005']
    : ['000000', '000003', '000004', '000005'];
  return { codes, why: 'known instances' };
}

/** A debug call (spec §11): `testFlag` "1" (V2 may send the number). */
const isTest = (f: Record<string, unknown>) => f.testFlag === '1' || f.testFlag === 1;

/**
 * A debug call that authenticates and parses is answered success whatever its instance or license
 * code (spec §11); V2 newInstance, getLicenseAsync and queryInstance may say "in progress".
 */
function testEffect(activity: string): Outcome {
  return {
    codes: activity === 'getLicenseAsync' ? ['000000', '000004'] : ['000000'],
    why: 'debug call (testFlag=1)',
  };
}

function effect(
  protocol: Protocol,
  activity: string,
  f: Record<string, unknown>,
  ctx: OracleContext,
): Outcome {
  const target = typeof f.instanceId === 'string' ? ctx.standing(f.instanceId) : undefined;
  if (isTest(f) && activity === 'queryInstance') {
    // The id list is validated as always (000002), then every id gets an entry.
    const q = query(f.instanceId as string, ctx);
    return q.codes.includes('000002') ? q : { codes: ['000000', '000004'], why: 'debug query' };
  }
  if (isTest(f) && activity !== 'getLicense' && activity !== 'newInstance')
    return testEffect(activity);
  switch (activity) {
    case 'newInstance':
      if (protocol === 'v1' && f.chargingMode === '1' && f.expireTime === undefined)
        return invalid('periodic purchase without expireTime', /expireTime/);
      return {
        codes: protocol === 'v1' ? ['000000'] : isTest(f) ? ['000000', '000004'] : ['000004'],
        why: 'new purchase',
      };
    case 'getLicense':
      return f.chargingMode === '1' && f.expireTime === undefined
        ? { codes: ['000902'], why: 'periodic license without expireTime' }
        : { codes: ['000000'], why: 'license' };
    case 'orderNotify':
      return { codes: ['000000'], why: 'order notification' };
    case 'queryInstance':
      return query(f.instanceId as string, ctx);
    case 'refreshInstance':
    case 'refreshLicense':
    case 'upgrade':
    case 'upgradeInstance':
      if (target === 'live') return { codes: ['000000'], why: 'live instance' };
      if (target === 'release-target') return { codes: ['000000', '000003'], why: 'releasing' };
      return { codes: ['000003'], why: target ? 'released instance' : 'unknown instance' };
    case 'changeInstanceCheck':
      // The fuzz products have no template: a change to one is refused (000005, with the reason).
      if (!target) return { codes: ['000003'], why: 'unknown instance' };
      return { codes: ['000000', '000005'], why: `${target} instance: allowed or refused` };
    case 'getLicenseAsync':
      // Event ids are random: none comes back with another deviceFingerprint (000002).
      if (target === 'live') return { codes: ['000004', '000000'], why: 'live instance' };
      if (target === 'release-target')
        return { codes: ['000004', '000000', '000003'], why: 'releasing' };
      return { codes: ['000003'], why: target ? 'released instance' : 'unknown instance' };
    case 'refreshLicenseCode':
    case 'updateLicenseCodeStatus':
    case 'releaseLicenseCode':
      return { codes: ['000003'], why: 'a license code the marketplace never issued' };
    default:
      // expiry, freeze/unfreeze and release answer success for any instance that ever existed.
      return target
        ? { codes: ['000000'], why: `${target} instance` }
        : { codes: ['000003'], why: 'unknown instance' };
  }
}

/** The values the service keeps from a well-formed call: the named fields, decoded. */
function keptValues(rules: ActivityRules, f: Record<string, unknown>): unknown[] {
  const names = [...Object.keys(rules.required), ...Object.keys(rules.optional)];
  const values = names.filter((n) => Object.hasOwn(f, n)).map((n) => f[n]);
  if (typeof f.saasExtendParams === 'string' && Object.hasOwn(f, 'saasExtendParams'))
    for (const p of decodeBase64List(f.saasExtendParams)) values.push(p.name, p.value);
  return values;
}

function afterV1(params: Pairs, ctx: OracleContext): Outcome {
  const f: Record<string, unknown> = Object.fromEntries(params);
  const activity = f.activity as string | undefined;
  if (!activity) return invalid('no activity', /activity/);
  if (unstorable([activity])) return invalid('unstorable text in activity');
  if (!Object.hasOwn(v1Rules, activity)) return invalid('unknown activity', /unknown V1 activity/);
  const rules = v1Rules[activity]!;
  if (!followsRules(rules, f)) return invalid('field rules');
  if (unstorable(keptValues(rules, f))) return invalid('unstorable text in a field');
  return effect('v1', activity, f, ctx);
}

function afterV2(body: Buffer, ctx: OracleContext): Outcome {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return invalid('not JSON', /not valid JSON/);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    return invalid('not an object', /JSON object/);
  const f = parsed as Record<string, unknown>;
  const activity = f.activity;
  if (typeof activity !== 'string') return invalid('activity not a string', /activity/);
  if (unstorable([activity])) return invalid('unstorable text in activity');
  if (activity === 'newInstance' && inlineMarkers.some((m) => m in f))
    return { codes: ['000002', '000004'], why: 'inline purchase body (not modelled)' };
  if (!Object.hasOwn(v2Rules, activity)) return invalid('unknown activity', /unknown V2 activity/);
  const rules = v2Rules[activity]!;
  if (!followsRules(rules, f)) return invalid('field rules');
  if (unstorable(keptValues(rules, f))) return invalid('unstorable text in a field');
  return effect('v2', activity, f, ctx);
}

export function expectFor(wire: Wire, ctx: OracleContext, now: number): Expectation {
  const g = gate(wire, ctx, now);
  if (!g.pass) return { codes: [g.code], msg: g.msg, authentic: false, why: g.why };
  const o = g.protocol === 'v1' ? afterV1(g.params, ctx) : afterV2(g.body, ctx);
  if (g.edge)
    return {
      codes: [...new Set(['000001', ...o.codes])],
      authentic: 'maybe',
      why: `edge of the freshness window; ${o.why}`,
    };
  return { ...o, authentic: true, keyIndex: g.keyIndex };
}
