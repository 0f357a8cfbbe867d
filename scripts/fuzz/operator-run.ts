import http from 'node:http';
import pg from 'pg';
import { csrfOf } from '../../src/operators/dashboard/session.js';
import type { Check } from './checks.js';
import { type OperatorCall, type OperatorEnv, operatorCall } from './operator-calls.js';
import { createRng } from './random.js';
import type { Services } from './service.js';
import type { Wire } from './wire.js';

/**
 * The operator-routes phase of the fuzz run: sets up what an operator has (an operate and a read
 * token, a revoked one, a dashboard session, ids that exist), sends `count` calls built by
 * operator-calls.ts, and counts answers by status. An answer is its status line: a live
 * dashboard stream (SSE) is cut after its headers, a body read for at most a second.
 */
interface Answer {
  call: OperatorCall;
  status?: number;
  error?: string;
}

function sendOnce(
  base: URL,
  agent: http.Agent,
  wire: Wire,
  timeoutMs: number,
  localAddress: string,
): Promise<Omit<Answer, 'call'>> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (a: Omit<Answer, 'call'>) => {
      if (settled) return;
      settled = true;
      resolve(a);
    };
    const headers: Record<string, string | number> = { ...wire.headers };
    if (wire.body && !wire.chunked) headers['content-length'] = wire.body.length;
    let req: http.ClientRequest;
    try {
      req = http.request(
        {
          agent,
          host: base.hostname,
          port: base.port,
          localAddress,
          path: wire.path,
          method: wire.method,
          headers,
          timeout: timeoutMs,
        },
        (res) => {
          done({ status: res.statusCode });
          const cut = setTimeout(() => res.destroy(), 1000);
          res.on('data', () => {});
          res.on('end', () => clearTimeout(cut));
          res.on('close', () => clearTimeout(cut));
          res.on('error', () => {});
        },
      );
    } catch (err) {
      done({ error: `not sendable: ${(err as Error).message}` });
      return;
    }
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => done({ error: err.message }));
    if (wire.body && wire.chunked) {
      for (let i = 0; i < wire.body.length; i += 16_384)
        req.write(wire.body.subarray(i, i + 16_384));
      req.end();
    } else req.end(wire.body);
  });
}

const cookieOf = (res: Response, name: string) =>
  res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith(`${name}=`))
    ?.slice(name.length + 1);

/** Tokens from the CLI (as an operator makes them), a session from the login form, ids from the database. */
export async function prepareOperatorEnv(s: Services): Promise<OperatorEnv> {
  const token = async (name: string, scope: string) => {
    const r = await s.cli(['tokens', 'create', '--name', name, '--scope', scope]);
    if (r.code !== 0) throw new Error(`kgd tokens create: ${r.stderr}`);
    return r.stdout.trim();
  };
  const operate = await token('fuzz-operate', 'operate');
  const read = await token('fuzz-read', 'read');
  const revoked = await token('fuzz-revoked', 'operate');
  const r = await s.cli(['tokens', 'revoke', 'fuzz-revoked']);
  if (r.code !== 0) throw new Error(`kgd tokens revoke: ${r.stderr}`);

  const form = await fetch(`${s.url}/dashboard/login`);
  const loginCookie = cookieOf(form, 'kgd_login');
  const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1];
  if (!loginCookie || !csrf) throw new Error('the login form carries no CSRF token');
  const login = await fetch(`${s.url}/dashboard/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      cookie: `kgd_login=${loginCookie}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token: operate, csrf, next: '/dashboard' }).toString(),
  });
  const sessionId = cookieOf(login, 'kgd_session');
  if (login.status !== 303 || !sessionId)
    throw new Error(`dashboard login answered ${login.status}`);

  const client = new pg.Client({ connectionString: s.databaseUrl() });
  await client.connect();
  try {
    const ids = async (table: string) =>
      (
        await client.query<{ id: string }>(
          `SELECT id::text AS id FROM ${table} ORDER BY random() LIMIT 40`,
        )
      ).rows.map((row) => row.id);
    return {
      tokens: { operate, read, revoked },
      session: { id: sessionId, csrf: csrfOf(sessionId) },
      ids: {
        instances: await ids('instances'),
        operations: await ids('operations'),
        inbox: await ids('inbox'),
      },
      maxBodyBytes: 1024 * 1024,
    };
  } finally {
    await client.end();
  }
}

export async function runOperatorPhase(options: {
  url: string;
  env: OperatorEnv;
  seed: number;
  start: number;
  count: number;
  concurrency: number;
}): Promise<{ answers: Answer[]; seconds: number }> {
  const base = new URL(options.url);
  // A connection per call: a kept-alive one the service shed while idle (as it should) would
  // fail the next call sent on it, a client's artefact counted as unanswered.
  const agent = new http.Agent({ keepAlive: false, maxSockets: options.concurrency });
  const answers: Answer[] = [];
  const started = performance.now();
  let next = 0;
  // Each worker from its own loopback address, as many clients would be: the service caps the
  // connections of one address (64), and a worker's streams cut after a second and bodies
  // still being sent after a 413 would otherwise add up against that cap.
  const worker = async (w: number) => {
    const from = `127.0.${1 + Math.floor(w / 250)}.${1 + (w % 250)}`;
    while (next < options.count) {
      const i = next++;
      const call = operatorCall(createRng(options.seed, options.start + i), options.env);
      answers.push({ call, ...(await sendOnce(base, agent, call.wire, 15_000, from)) });
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, (_, w) => worker(w)));
  } finally {
    agent.destroy();
  }
  return { answers, seconds: (performance.now() - started) / 1000 };
}

/** Status counts, and the checks: no 5xx; every call answered but those cut while sending a body past the limit. */
export function operatorReport(answers: Answer[], out: (line: string) => void): Check[] {
  const byStatus = new Map<string, number>();
  for (const a of answers) {
    const k = a.status ? String(a.status) : 'no answer';
    byStatus.set(k, (byStatus.get(k) ?? 0) + 1);
  }
  out(
    `operator routes: ${answers.length} calls; answers ${[...byStatus]
      .sort()
      .map(([k, n]) => `${k} ×${n}`)
      .join(', ')}`,
  );
  const families = new Map<string, number>();
  for (const a of answers) families.set(a.call.cls, (families.get(a.call.cls) ?? 0) + 1);
  out(
    `  routes: ${[...families]
      .sort()
      .map(([k, n]) => `${k} ×${n}`)
      .join('; ')}`,
  );
  const s5xx = answers.filter((a) => (a.status ?? 0) >= 500);
  const unanswered = answers.filter((a) => a.status === undefined);
  // A body past the limit is refused with 413 as soon as it shows; the client may still be writing.
  const oversized = (a: Answer) => /\d+ bytes/.test(a.call.detail);
  const lost = unanswered.filter((a) => !oversized(a));
  const why = new Map<string, number>();
  for (const a of unanswered) why.set(a.error ?? '?', (why.get(a.error ?? '?') ?? 0) + 1);
  if (why.size > 0) out(`  unanswered: ${[...why].map(([k, n]) => `${k} ×${n}`).join('; ')}`);
  for (const a of [...s5xx, ...lost].slice(0, 8))
    out(
      `  ${a.status ?? a.error}: ${a.call.wire.method} ${a.call.wire.path.slice(0, 200)} (${a.call.cls}; ${a.call.detail})`,
    );
  return [
    ['operator routes: no HTTP 5xx', s5xx.length === 0, `${s5xx.length} of ${answers.length}`],
    [
      'operator routes: every call answered (a cut while sending a body past the limit excepted)',
      lost.length === 0,
      `${lost.length} unanswered, ${unanswered.length - lost.length} oversized bodies cut`,
    ],
  ];
}
