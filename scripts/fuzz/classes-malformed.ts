import { v1Names, v2Names } from './calls.js';
import { type Builder, judged, signedV1, signedV2 } from './model.js';
import { hostileActivities, hostileJson } from './mutations.js';
import type { Rng } from './random.js';
import { v1Rules, v2Rules } from './rules.js';
import { type Base, validBase } from './targets.js';

/**
 * Authenticated calls with a broken activity: each must be answered 000002 naming the problem,
 * kept in the inbox with that answer, and create no instance and no operation.
 */

const idFields = ['instanceId', 'orderId', 'orderLineId', 'businessId', 'skuCode', 'productId'];

function hasRule(b: Base, name: string): boolean {
  const rules = (b.protocol === 'v1' ? v1Rules : v2Rules)[b.activity]!;
  return Object.hasOwn(rules.required, name) || Object.hasOwn(rules.optional, name);
}

const badTestFlag = (rng: Rng, b: Base, fields: Record<string, unknown>) => {
  fields.testFlag = rng.pick(
    b.protocol === 'v1' ? ['yes', '2', 'true', '01'] : ['yes', 2, true, '01', -1, null],
  );
  return { detail: `bad testFlag ${JSON.stringify(fields.testFlag)}`, fields };
};

function requiredOf(b: Base): string[] {
  const rules = (b.protocol === 'v1' ? v1Rules : v2Rules)[b.activity]!;
  return Object.keys(rules.required);
}

/** The field-level breakages that apply to every activity, as [name, new value or delete]. */
function breakField(rng: Rng, b: Base): { detail: string; fields: Record<string, unknown> } {
  const required = requiredOf(b);
  const name = rng.pick(required);
  const fields = { ...b.fields };
  const ids = required.filter((n) => idFields.includes(n));
  const kind = rng.pick([
    'missing',
    'empty',
    'too-long',
    'wrong-type',
    'bad-testFlag',
    'bad-enum',
    'bad-date',
    'ids',
  ]);
  switch (kind) {
    case 'missing':
      delete fields[name];
      return { detail: `missing ${name}`, fields };
    case 'empty':
      fields[name] = '';
      return { detail: `empty ${name}`, fields };
    case 'too-long': {
      const target = ids.length > 0 ? rng.pick(ids) : name;
      fields[target] = 'L'.repeat(
        target === 'instanceId' && b.activity === 'queryInstance' ? 6500 : rng.int(65, 400),
      );
      return { detail: `too long ${target}`, fields };
    }
    case 'wrong-type':
      if (b.protocol === 'v2') {
        let value = hostileJson(rng);
        while (typeof value === 'string' || (name === 'testFlag' && (value === 0 || value === 1)))
          value = hostileJson(rng);
        fields[name] = value;
        return { detail: `wrong type ${name} ${JSON.stringify(value)?.slice(0, 20)}`, fields };
      }
      return badTestFlag(rng, b, fields);
    case 'bad-testFlag':
      return badTestFlag(rng, b, fields);
    case 'bad-enum':
      if ('scene' in fields) fields.scene = rng.pick(['renewal', 'RENEW', '', 'TRIAL_TO_FORMAL ']);
      else if ('status' in fields) fields.status = rng.pick(['PAUSE', 'freeze', 'NORMAL', '']);
      else if ('instanceStatus' in fields)
        fields.instanceStatus = rng.pick(['PAUSED', 'freeze', 'UNFREEZE']);
      else if (hasRule(b, 'trialFlag')) fields.trialFlag = rng.pick(['yes', '2', 'true']);
      else return badTestFlag(rng, b, fields);
      return { detail: 'bad enum', fields };
    case 'bad-date': {
      const bad = rng.pick([
        '20261340000000',
        '2026-12-01',
        '20270229000000',
        '2026120100000',
        '2026120100000a',
      ]);
      if (!hasRule(b, 'expireTime')) return badTestFlag(rng, b, fields);
      fields.expireTime = b.protocol === 'v2' && rng.chance(0.3) ? 20261201000000 : bad;
      return { detail: `bad expireTime ${String(fields.expireTime)}`, fields };
    }
    default: {
      if (b.activity !== 'queryInstance') {
        fields[name] = 'x'.repeat(65);
        return { detail: `too long ${name}`, fields };
      }
      const n = rng.int(101, 160);
      const list = rng.pick([
        () => Array.from({ length: n }, (_, i) => `kgi-fuzz-${i}`).join(','),
        () => `kgi-fuzz-1,${'y'.repeat(65)}`,
        () => ',, ,',
      ])();
      fields.instanceId = list;
      return {
        detail: `query ids ${list.length > 80 ? `${list.split(',').length} ids` : JSON.stringify(list)}`,
        fields,
      };
    }
  }
}

const v1Base64Breaks = [
  '%%%not-base64',
  Buffer.from('not json').toString('base64'),
  Buffer.from('{"a":1}').toString('base64'),
  Buffer.from(
    JSON.stringify(Array.from({ length: 11 }, (_, i) => ({ name: `n${i}`, value: 'v' }))),
  ).toString('base64'),
  Buffer.from('[{"value":"no name"}]').toString('base64'),
  Buffer.from('[{"name":"","value":"x"}]').toString('base64'),
  'A',
];

const v1Breaks: Record<string, readonly string[]> = {
  periodNumber: ['twelve', '1e3', '1234567890', '-1', '', '٣'],
  orderAmount: ['1,000', '1.1234567', '--1', 'ten'],
  amount: ['2.5', 'lots'],
  chargingMode: ['one'],
};

export const malformed: Builder = (rng, env) => {
  const protocol = rng.pick(['v1', 'v2'] as const);
  const b = validBase(rng, env, protocol);
  const roll = rng.next();
  if (protocol === 'v2' && roll < 0.12) {
    const valid = JSON.stringify({ activity: b.activity, ...b.fields });
    const raw = rng.pick([
      '',
      '{',
      '{"activity":',
      'activity=newInstance',
      'null',
      '[]',
      `[${valid}]`,
      '"newInstance"',
      '123',
      'true',
      valid.slice(0, rng.int(1, valid.length - 1)),
      `${valid}}`,
      `${valid}x`,
    ]);
    return judged(
      env,
      'malformed',
      `v2 body ${JSON.stringify(raw.slice(0, 24))}`,
      signedV2(rng, env, Buffer.from(raw)),
      '000002',
    );
  }
  if (roll < 0.25) {
    const names = (protocol === 'v1' ? v1Names : v2Names) as readonly string[];
    const activity = rng.pick(
      hostileActivities.filter((a) => !names.includes(a) && !a.includes('\0')),
    );
    const detail = `${protocol} activity ${JSON.stringify(activity.slice(0, 20))}`;
    const wire =
      protocol === 'v1'
        ? signedV1(env, activity, b.fields)
        : signedV2(rng, env, { activity, ...b.fields });
    return judged(env, 'malformed', detail, wire, '000002');
  }
  if (protocol === 'v2' && roll < 0.32) {
    const activity = rng.pick([undefined, 7, null, ['newInstance'], { name: 'newInstance' }, true]);
    return judged(
      env,
      'malformed',
      `v2 activity ${JSON.stringify(activity) ?? 'missing'}`,
      signedV2(rng, env, { ...b.fields, activity }),
      '000002',
    );
  }
  if (protocol === 'v1' && roll < 0.4) {
    const kind = rng.pick(['saasExtendParams', 'expireTime', ...Object.keys(v1Breaks)]);
    const activity =
      kind === 'saasExtendParams'
        ? rng.pick(['newInstance', 'upgrade', 'getLicense'])
        : rng.pick(['newInstance', 'getLicense']);
    const base = validBase(rng, env, 'v1', activity);
    const value =
      kind === 'saasExtendParams'
        ? rng.pick(v1Base64Breaks)
        : kind === 'expireTime'
          ? rng.pick(['20261340000000', '2026-12-01', '20270229000000', '0'])
          : rng.pick(v1Breaks[kind]!);
    const detail = `v1 ${activity} ${kind} ${JSON.stringify(value.slice(0, 16))}`;
    return judged(
      env,
      'malformed',
      detail,
      signedV1(env, activity, { ...base.fields, [kind]: value }),
      '000002',
    );
  }
  if (protocol === 'v1' && roll < 0.45) {
    const { activity: _drop, ...rest } = { activity: b.activity, ...b.fields };
    return judged(env, 'malformed', 'v1 empty activity', signedV1(env, '', rest), '000002');
  }
  const broken = breakField(rng, b);
  const wire =
    protocol === 'v1'
      ? signedV1(env, b.activity, broken.fields)
      : signedV2(rng, env, { activity: b.activity, ...broken.fields });
  return judged(env, 'malformed', `${protocol} ${b.activity} ${broken.detail}`, wire, '000002');
};

/**
 * Text PostgreSQL cannot store (U+0000; a lone surrogate in jsonb) in a field the service keeps,
 * or in the activity.
 */
export const unstorable: Builder = (rng, env) => {
  const protocol = rng.pick(['v1', 'v2'] as const);
  const b = validBase(rng, env, protocol);
  const name = rng.pick([...requiredOf(b), 'activity']);
  const was = String(b.fields[name] ?? b.activity);
  // A query string carries UTF-8 only: lone surrogates can travel in V2's JSON escapes alone.
  const surrogate = protocol === 'v2' && rng.chance(0.4);
  const nul = surrogate
    ? rng.pick(['\ud800', `a\udc00b`, `${was}\ud83d`])
    : rng.pick(['a\u0000b', '\u0000', `${was}\u0000`]);
  const detail = `${protocol} ${b.activity} ${surrogate ? 'lone surrogate' : 'NUL'} in ${name}`;
  const body =
    name === 'activity'
      ? { ...b.fields, activity: nul }
      : { activity: b.activity, ...b.fields, [name]: nul };
  const wire =
    protocol === 'v1'
      ? signedV1(
          env,
          body.activity as string,
          Object.fromEntries(Object.entries(body).filter(([k]) => k !== 'activity')),
        )
      : signedV2(rng, env, body);
  return judged(env, 'unstorable text', detail, wire, '000002');
};
