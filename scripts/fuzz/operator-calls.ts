import type { Rng } from './random.js';
import type { Wire } from './wire.js';

/**
 * Calls to the operator surfaces (admin API, dashboard, /metrics) and the other routes beside
 * the production endpoint: right and wrong methods, existing and hostile ids and paths, hostile
 * query values, with and without a token or a session, with a good, missing or wrong CSRF
 * token, and bodies that are valid, of the wrong shape, not JSON, nested deep, or past the
 * operators' body limit (declared or streamed). The service must answer each with a 2xx, 3xx
 * or 4xx: never a 5xx, never a crash.
 */
export interface OperatorEnv {
  tokens: { operate: string; read: string; revoked: string };
  /** A dashboard session signed in under the operate token, and its page token. */
  session: { id: string; csrf: string };
  /** Ids that exist in the database. */
  ids: { instances: string[]; operations: string[]; inbox: string[] };
  /** The operators' body limit (KGD_ADMIN_MAX_BODY_BYTES). */
  maxBodyBytes: number;
}

export interface OperatorCall {
  /** Route family and what was hostile about the call, for the report. */
  cls: string;
  detail: string;
  wire: Wire;
}

const hostileIds = [
  '..%2F..%2F..%2Fetc%2Fpasswd',
  '..',
  '.',
  '%2e%2e',
  '%00',
  'a%00b',
  '%ff%fe',
  '%',
  '%%41',
  '%E2%80%AE',
  '%F0%9F%98%80',
  "'%20OR%201=1--",
  '%3Cscript%3Ealert(1)%3C%2Fscript%3E',
  '__proto__',
  'constructor',
  '-1',
  '0',
  '1e999',
  '99999999999999999999999999',
  'null',
  'undefined',
  '%20',
  'x'.repeat(300),
  'y'.repeat(6000),
  'order:abc',
  'i-00000000',
];

const queryKeys = [
  'status',
  'product',
  'customer',
  'since',
  'until',
  'limit',
  'cursor',
  'tail',
  'level',
  'step',
  'activity',
  'next',
  'from',
  'done',
  'format',
  'resultCode',
  'orderId',
  '__proto__',
];
const hostileValues = [
  '',
  '-1',
  '0',
  '1e309',
  'NaN',
  'Infinity',
  '99999999999999999999',
  '2026-13-45T99:99:99Z',
  'not-a-date',
  'ready',
  'failed',
  '%00',
  '%ff',
  '%',
  'https%3A%2F%2Fevil.example%2F',
  '%2F%2Fevil.example',
  'javascript%3Aalert(1)',
  '%3Cscript%3E',
  'z'.repeat(2000),
  'json',
  'html',
];

/** Route templates: `{id}` takes an instance, operation or inbox id, or a hostile one. */
const routes: [weight: number, method: string, path: string, kind: 'api' | 'dash' | 'other'][] = [
  [8, 'GET', '/admin/deployments', 'api'],
  [8, 'GET', '/admin/deployments/{instance}', 'api'],
  [5, 'GET', '/admin/deployments/{instance}/logs', 'api'],
  [4, 'POST', '/admin/deployments/{instance}/rerun', 'api'],
  [4, 'POST', '/admin/deployments/{instance}/cancel', 'api'],
  [3, 'POST', '/admin/deployments/{instance}/retry-cleanup', 'api'],
  [3, 'POST', '/admin/deployments/{instance}/release', 'api'],
  [5, 'GET', '/admin/inbox', 'api'],
  [4, 'GET', '/admin/inbox/{inbox}', 'api'],
  [3, 'POST', '/admin/inbox/{inbox}/replay', 'api'],
  [2, 'GET', '/admin/sweep', 'api'],
  [3, 'POST', '/admin/sweep/delete', 'api'],
  [4, 'GET', '/admin/audit', 'api'],
  [1, 'GET', '/admin/openapi.json', 'api'],
  [2, 'GET', '/admin/{hostile}', 'api'],
  [5, 'GET', '/dashboard', 'dash'],
  [1, 'GET', '/dashboard/', 'dash'],
  [3, 'GET', '/dashboard/login', 'dash'],
  [5, 'POST', '/dashboard/login', 'dash'],
  [2, 'POST', '/dashboard/logout', 'dash'],
  [5, 'GET', '/dashboard/d/{instance}', 'dash'],
  [4, 'GET', '/dashboard/d/{instance}/{action}', 'dash'],
  [5, 'POST', '/dashboard/d/{instance}/{action}', 'dash'],
  [3, 'GET', '/dashboard/inbox', 'dash'],
  [3, 'POST', '/dashboard/inbox/{inbox}/replay', 'dash'],
  [2, 'GET', '/dashboard/sweep', 'dash'],
  [3, 'POST', '/dashboard/sweep/delete', 'dash'],
  [2, 'GET', '/dashboard/audit', 'dash'],
  [2, 'GET', '/dashboard/events', 'dash'],
  [2, 'GET', '/dashboard/{hostile}', 'dash'],
  [3, 'GET', '/metrics', 'other'],
  [3, 'GET', '/i/{instance}', 'other'],
  [1, 'GET', '/healthz', 'other'],
  [1, 'GET', '/readyz', 'other'],
  [1, 'GET', '/', 'other'],
  [2, 'GET', '/{hostile}', 'other'],
];
const actions = ['rerun', 'cancel', 'retry-cleanup', 'release', 'delete', '..', '%00', 'x'];
const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];

function idFor(rng: Rng, env: OperatorEnv, slot: string): [string, string] {
  const pool =
    slot === 'inbox' ? env.ids.inbox : rng.chance(0.2) ? env.ids.operations : env.ids.instances;
  if (slot !== 'hostile' && pool.length > 0 && rng.chance(0.55)) return [rng.pick(pool), 'id'];
  if (rng.chance(0.1))
    return [
      `${rng.hex(8)}-${rng.hex(4)}-4${rng.hex(3)}-8${rng.hex(3)}-${rng.hex(12)}`,
      'unknown id',
    ];
  return [rng.pick(hostileIds), 'hostile id'];
}

function query(rng: Rng): [string, string] {
  if (rng.chance(0.5)) return ['', ''];
  const n = rng.int(1, 4);
  const parts = Array.from(
    { length: n },
    () => `${rng.pick(queryKeys)}=${rng.pick(hostileValues)}`,
  );
  return [`?${parts.join('&')}`, 'hostile query'];
}

type Auth =
  | 'none'
  | 'operate'
  | 'read'
  | 'revoked'
  | 'garbage'
  | 'huge'
  | 'basic'
  | 'session'
  | 'bad-session'
  | 'token-cookie';

function authHeaders(
  rng: Rng,
  env: OperatorEnv,
  kind: 'api' | 'dash' | 'other',
): [Record<string, string>, Auth] {
  const auth: Auth = rng.weighted<Auth>(
    kind === 'dash'
      ? [
          [50, 'session'],
          [10, 'none'],
          [10, 'bad-session'],
          [10, 'token-cookie'],
          [10, 'operate'],
          [5, 'huge'],
          [5, 'revoked'],
        ]
      : [
          [40, 'operate'],
          [15, 'read'],
          [10, 'none'],
          [10, 'revoked'],
          [10, 'garbage'],
          [5, 'huge'],
          [5, 'basic'],
          [5, 'session'],
        ],
  );
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
  switch (auth) {
    case 'none':
      return [{}, auth];
    case 'operate':
      return [bearer(env.tokens.operate), auth];
    case 'read':
      return [bearer(env.tokens.read), auth];
    case 'revoked':
      return [bearer(env.tokens.revoked), auth];
    case 'garbage':
      return [
        {
          authorization: rng.pick([
            'Bearer',
            'Bearer  ',
            'bearer x y',
            'Token abc',
            `Bearer ${rng.hex(40)}`,
          ]),
        },
        auth,
      ];
    case 'huge':
      return [bearer('k'.repeat(rng.int(4000, 12_000))), auth];
    case 'basic':
      return [
        { authorization: `Basic ${Buffer.from(`admin:${env.tokens.operate}`).toString('base64')}` },
        auth,
      ];
    case 'session':
      return [{ cookie: `kgd_session=${env.session.id}` }, auth];
    case 'bad-session':
      return [
        {
          cookie: rng.pick([
            `kgd_session=${rng.hex(64)}`,
            'kgd_session=',
            'kgd_session=%00',
            `kgd_session=${'s'.repeat(5000)}`,
            'kgd_session',
          ]),
        },
        auth,
      ];
    case 'token-cookie':
      return [{ cookie: `kgd_session=${env.tokens.operate}` }, auth];
  }
}

function jsonBody(rng: Rng, path: string, env: OperatorEnv): [unknown, string] {
  const reason = rng.pick(['fuzz', '', 'r'.repeat(5000), 42, null, ['a'], { a: 1 }]);
  if (path.endsWith('/rerun'))
    return [
      rng.pick([
        { reason: 'fuzz' },
        { reason, from: rng.pick(['plan', 'upload-package', 'nope', '', 7]) },
        {
          reason: 'fuzz',
          flavor: rng.pick(['s6.small.1', '', '../x', 1]),
          sshPort: rng.pick([22, 0, 70000, '22', -1]),
        },
        { reason: 'fuzz', templateVersion: rng.pick(['1', 'x'.repeat(300), null]) },
      ]),
      'rerun body',
    ];
  if (path.endsWith('/sweep/delete'))
    return [
      rng.pick([
        { reason: 'fuzz', resources: [] },
        {
          reason: 'fuzz',
          resources: [{ kind: 'server', id: rng.pick(env.ids.instances.concat('x')) }],
        },
        { reason: 'fuzz', resources: rng.pick([null, 'all', [1, 2], [{}]]) },
        { reason },
      ]),
      'sweep body',
    ];
  return [rng.pick([{ reason: 'fuzz' }, { reason }, {}, [], null, 'reason', 0]), 'reason body'];
}

function body(
  rng: Rng,
  method: string,
  path: string,
  env: OperatorEnv,
  kind: 'api' | 'dash' | 'other',
): [Buffer | undefined, Record<string, string>, string, boolean] {
  if (method === 'GET' || method === 'HEAD') {
    if (!rng.chance(0.05)) return [undefined, {}, '', false];
    return [
      Buffer.from('{"a":1}'),
      { 'content-type': 'application/json' },
      'GET with a body',
      false,
    ];
  }
  const shape = rng.weighted<string>([
    [35, 'valid'],
    [10, 'wrong-type'],
    [10, 'bad-json'],
    [5, 'deep'],
    [8, 'oversized'],
    [5, 'oversized-chunked'],
    [10, 'form'],
    [5, 'multipart'],
    [5, 'binary'],
    [7, 'empty'],
  ]);
  const csrf = () =>
    rng.weighted<[string, string]>([
      [60, [env.session.csrf, '']],
      [15, ['', 'no csrf']],
      [15, [rng.hex(32), 'wrong csrf']],
      [10, ['x'.repeat(3000), 'huge csrf']],
    ]);
  switch (shape) {
    case 'valid':
    case 'wrong-type': {
      if (kind === 'dash') {
        const [token, note] = csrf();
        const fields: Record<string, string> = { reason: 'fuzz', csrf: token };
        if (path.endsWith('/login'))
          Object.assign(fields, {
            token: rng.pick([env.tokens.operate, env.tokens.revoked, '', rng.hex(40)]),
            next: rng.pick([
              '/dashboard',
              '//evil.example',
              'https://evil.example/',
              '/dashboard/../admin',
              '',
            ]),
          });
        return [
          Buffer.from(new URLSearchParams(fields).toString()),
          { 'content-type': 'application/x-www-form-urlencoded' },
          `form ${note || 'with csrf'}`,
          false,
        ];
      }
      const [value, what] = jsonBody(rng, path, env);
      const sent =
        shape === 'valid' ? value : rng.pick([[value], { reason: { $gt: '' } }, 'x', true]);
      return [
        Buffer.from(JSON.stringify(sent)),
        { 'content-type': 'application/json' },
        `${shape} ${what}`,
        false,
      ];
    }
    case 'bad-json':
      return [
        Buffer.from(
          rng.pick([
            '{',
            '{"reason":',
            '{"reason":"a"}}',
            "{'reason':'a'}",
            '\u0000',
            '{"reason":"\\ud800"}',
            'nul',
          ]),
        ),
        { 'content-type': 'application/json' },
        'bad JSON',
        false,
      ];
    case 'deep': {
      const depth = rng.int(1000, 100_000);
      return [
        Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`),
        { 'content-type': 'application/json' },
        `JSON nested ${depth} deep`,
        false,
      ];
    }
    case 'oversized':
    case 'oversized-chunked': {
      const size = env.maxBodyBytes + rng.int(1, 2 * env.maxBodyBytes);
      const chunked = shape === 'oversized-chunked';
      const type = kind === 'dash' ? 'application/x-www-form-urlencoded' : 'application/json';
      const filler =
        kind === 'dash' ? `reason=${'a'.repeat(size)}` : `{"reason":"${'a'.repeat(size)}"}`;
      return [
        Buffer.from(filler),
        { 'content-type': type },
        `${size} bytes${chunked ? ', chunked' : ''}`,
        chunked,
      ];
    }
    case 'form':
      return [
        Buffer.from(
          `reason=fuzz&csrf=${env.session.csrf}&${rng.pick(queryKeys)}=${rng.pick(hostileValues)}`,
        ),
        { 'content-type': 'application/x-www-form-urlencoded' },
        'form to any route',
        false,
      ];
    case 'multipart':
      return [
        Buffer.from('--b\r\nContent-Disposition: form-data; name="reason"\r\n\r\nfuzz\r\n--b'),
        {
          'content-type': rng.pick([
            'multipart/form-data; boundary=b',
            'multipart/form-data',
            'multipart/form-data; boundary=',
          ]),
        },
        'broken multipart',
        false,
      ];
    case 'binary':
      return [
        rng.bytes(rng.int(1, 4096)),
        {
          'content-type': rng.pick([
            'application/json',
            'application/octet-stream',
            'text/plain',
            'application/x-www-form-urlencoded',
          ]),
        },
        'random bytes',
        false,
      ];
    default:
      return [
        Buffer.alloc(0),
        rng.chance(0.5) ? { 'content-type': 'application/json' } : {},
        'empty body',
        false,
      ];
  }
}

/** One call: a route, maybe the wrong method, an id, a query, credentials and a body. */
export function operatorCall(rng: Rng, env: OperatorEnv): OperatorCall {
  const [, method0, template, kind] = rng.weighted(routes.map((r) => [r[0], r] as const));
  const notes: string[] = [];
  const method = rng.chance(0.1) ? rng.pick(methods) : method0;
  if (method !== method0) notes.push(`${method} instead of ${method0}`);
  let path = template.replace(/\{(\w+)\}/g, (_, slot: string) => {
    if (slot === 'action') {
      const a = rng.pick(actions);
      if (!['rerun', 'cancel', 'retry-cleanup', 'release'].includes(a))
        notes.push('unknown action');
      return a;
    }
    const [id, note] = idFor(rng, env, slot);
    if (note !== 'id') notes.push(note);
    return id;
  });
  const [q, qNote] = query(rng);
  path += q;
  if (qNote) notes.push(qNote);
  let [auth, authKind] = authHeaders(rng, env, kind);
  // The fuzz session must outlive the run: a logout under it would end it for every later call.
  if (template === '/dashboard/logout' && authKind === 'session')
    [auth, authKind] = [{ cookie: `kgd_session=${rng.hex(64)}` }, 'bad-session'];
  notes.push(`auth ${authKind}`);
  const [payload, headers, bodyNote, chunked] = body(rng, method, template, env, kind);
  if (bodyNote) notes.push(bodyNote);
  if (kind === 'dash' && rng.chance(0.1)) {
    headers.origin = 'https://evil.example';
    notes.push('cross-site origin');
  }
  return {
    cls: `${kind} ${method0} ${template}`,
    detail: notes.join(', '),
    wire: { method, path, headers: { ...auth, ...headers }, body: payload, chunked },
  };
}
