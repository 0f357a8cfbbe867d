import { createHmac } from 'node:crypto';
import { parseBodySign } from '../../src/marketplace/protocol/signatures.js';
import { checkAnswer } from '../../src/simulator/marketplace/answer-check.js';
import type { Builder, Env, FuzzCall } from './model.js';
import { createRng } from './random.js';
import type { Reply, Wire } from './wire.js';

/** One call's fate: what was expected, what came back, and every way it fell short. */
export interface Outcome {
  index: number;
  phase: string;
  cls: string;
  detail: string;
  expected: string[];
  code: string;
  status: string;
  ms: number;
  problems: string[];
  selfCheck?: string;
  wire: Wire;
  resultMsg?: string;
}

const signedBy = (keys: readonly string[], header: string | undefined, body: string) => {
  const given = parseBodySign(header);
  return keys.some((k) => createHmac('sha256', k).update(body).digest('base64') === given);
};

function judge(c: FuzzCall, reply: Reply, env: Env): Omit<Outcome, 'index' | 'phase'> {
  const problems: string[] = [];
  const base = {
    cls: c.cls,
    detail: c.detail,
    expected: c.expect.codes,
    wire: c.wire,
    ms: reply.ms,
  };
  if (reply.error || reply.status === undefined)
    return { ...base, code: 'none', status: 'no answer', problems: [`no answer: ${reply.error}`] };
  const status = String(reply.status);
  if (reply.status !== 200) problems.push(`HTTP ${reply.status}`);
  let answer: { resultCode?: string; resultMsg?: string; instanceId?: string } = {};
  try {
    answer = JSON.parse(reply.body ?? '');
  } catch {
    problems.push('answer is not JSON');
  }
  const code = answer.resultCode ?? 'none';
  if (!c.expect.codes.includes(code))
    problems.push(`expected ${c.expect.codes.join('/')} (${c.expect.why}), got ${code}`);
  if (c.expect.msg && code === c.expect.codes[0] && !c.expect.msg.test(answer.resultMsg ?? ''))
    problems.push(`resultMsg ${JSON.stringify(answer.resultMsg)} does not match ${c.expect.msg}`);
  if (!signedBy(env.keys, reply.bodySign, reply.body ?? ''))
    problems.push('Body-Sign missing or not over the answer bytes under a configured key');
  if (c.instanceId && answer.instanceId !== c.instanceId)
    problems.push(
      `resent purchase answered instanceId ${answer.instanceId}, first ${c.instanceId}`,
    );
  if (c.expect.authentic === true && ['000000', '000004'].includes(code)) {
    // The marketplace's own checks: encrypted appInfo decrypts, lengths within limits.
    const protocol = c.wire.method === 'GET' ? 'v1' : 'v2';
    const activity = /"activity":"([^"]*)"|activity=([^&]*)/.exec(
      c.wire.method === 'GET' ? c.wire.path : (c.wire.body?.toString('utf8') ?? ''),
    );
    const name = decodeURIComponent(activity?.[1] ?? activity?.[2] ?? '');
    const checks = env.keys.map(
      (key) =>
        checkAnswer({
          protocol,
          activity: name,
          key,
          status: reply.status!,
          bodySignHeader: reply.bodySign ?? null,
          body: Buffer.from(reply.body ?? ''),
        }).problems,
    );
    const best = checks.reduce((a, b) => (a.length <= b.length ? a : b));
    problems.push(...best.map((p) => `answer check: ${p}`));
  }
  c.onAnswer?.(answer, reply);
  return { ...base, code, status, problems, resultMsg: answer.resultMsg };
}

/**
 * Runs calls `start .. start + builders.length - 1` of a phase with `concurrency` in flight. Each
 * call draws from its own seeded stream, so the same seed builds the same calls.
 */
export async function runPhase(options: {
  phase: string;
  builders: Builder[];
  start: number;
  seed: number;
  env: Env;
  concurrency: number;
  send: (wire: Wire) => Promise<Reply>;
  onOutcome: (o: Outcome, c: FuzzCall) => void;
}): Promise<void> {
  const { builders, env } = options;
  let next = 0;
  const worker = async () => {
    while (next < builders.length) {
      const i = next++;
      const index = options.start + i;
      const c = builders[i]!(createRng(options.seed, index), env);
      const reply = await options.send(c.wire);
      const judged = judge(c, reply, env);
      options.onOutcome({ ...judged, index, phase: options.phase, selfCheck: c.selfCheck }, c);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
}
