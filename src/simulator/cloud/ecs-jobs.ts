import type { Hono } from 'hono';
import type { SimContext, SimEnv } from './context.js';
import { guard } from './guard.js';
import { codes, SimHttpError } from './sim-errors.js';
import type { SimJob } from './store.js';

/** Finished jobs disappear after about a day (huawei-cloud.md §3). */
const jobRetentionMs = 24 * 3_600_000;

const iso = (ms: number | undefined) =>
  ms === undefined ? null : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A new ECS job in INIT with one sub-job per server, turning RUNNING after `jobStartMs`. */
export function createJob(
  ctx: SimContext,
  type: string,
  subType: string,
  serverIds: string[],
): SimJob & { subType: string } {
  const now = ctx.clock.now().getTime();
  const job: SimJob & { subType: string } = {
    id: ctx.uuid().replace(/-/g, '').slice(0, 32),
    type,
    subType,
    status: 'INIT',
    beginAt: now,
    endAt: undefined,
    errorCode: undefined,
    failReason: undefined,
    subJobs: serverIds.map((serverId) => ({
      id: ctx.uuid().replace(/-/g, '').slice(0, 32),
      status: 'INIT',
      serverId,
      errorCode: undefined,
      failReason: undefined,
    })),
  };
  ctx.store.jobs.set(job.id, job);
  ctx.scheduler.at(now + ctx.latency.draw('jobStartMs'), () => {
    if (job.status !== 'INIT') return;
    job.status = 'RUNNING';
    for (const s of job.subJobs) if (s.status === 'INIT') s.status = 'RUNNING';
  });
  return job;
}

/**
 * How a sub-job failed. `code`/`reason` are its `error_code`/`fail_reason` (absent: null on the
 * wire), `message` its `entities.errorcode_message`; `job` the job's own code and reason when they
 * differ from the sub-job's (ECS often reports a generic Ecs.0219 on the job, huawei-cloud.md §5.1).
 */
export type SubJobFailure = {
  ok: false;
  code?: string;
  reason?: string;
  message?: string;
  job?: { code: string; reason: string };
};

/** Ends one server's sub-job; the job ends when all have: FAIL if any failed (as ECS does). */
export function finishSubJob(
  ctx: SimContext,
  job: SimJob,
  serverId: string,
  outcome: { ok: true } | SubJobFailure,
): void {
  const sub = job.subJobs.find((s) => s.serverId === serverId);
  if (!sub || sub.status === 'SUCCESS' || sub.status === 'FAIL') return;
  sub.status = outcome.ok ? 'SUCCESS' : 'FAIL';
  let jobLevel: { code: string; reason: string } | undefined;
  if (!outcome.ok) {
    sub.errorCode = outcome.code;
    sub.failReason = outcome.reason;
    sub.message = outcome.message;
    jobLevel = outcome.job;
  }
  if (job.subJobs.every((s) => s.status === 'SUCCESS' || s.status === 'FAIL')) {
    const failed = job.subJobs.find((s) => s.status === 'FAIL');
    job.status = failed ? 'FAIL' : 'SUCCESS';
    job.errorCode = jobLevel?.code ?? failed?.errorCode;
    job.failReason = jobLevel?.reason ?? failed?.failReason;
    job.endAt = ctx.clock.now().getTime();
  } else if (job.status === 'INIT') {
    job.status = 'RUNNING';
  }
}

function renderJob(job: SimJob & { subType?: string }) {
  return {
    status: job.status,
    entities: {
      sub_jobs_total: job.subJobs.length,
      sub_jobs: job.subJobs.map((s) => ({
        status: s.status,
        entities: {
          server_id: s.serverId,
          ...(s.message ? { errorcode_message: s.message } : {}),
        },
        job_id: s.id,
        job_type: job.subType ?? job.type,
        begin_time: iso(job.beginAt),
        end_time:
          s.status === 'SUCCESS' || s.status === 'FAIL' ? iso(job.endAt ?? job.beginAt) : null,
        error_code: s.errorCode ?? null,
        fail_reason: s.failReason ?? null,
      })),
    },
    job_id: job.id,
    job_type: job.type,
    begin_time: iso(job.beginAt),
    end_time: iso(job.endAt),
    error_code: job.errorCode ?? null,
    fail_reason: job.failReason ?? null,
  };
}

export function registerEcsJobRoutes(app: Hono<SimEnv>, ctx: SimContext): void {
  app.get('/v1/:pid/jobs/:jobId', guard(ctx, 'ecs.showJob'), (c) => {
    const job = ctx.store.jobs.get(c.req.param('jobId'));
    const now = ctx.clock.now().getTime();
    if (!job || (job.endAt !== undefined && now - job.endAt > jobRetentionMs)) {
      throw new SimHttpError(
        404,
        codes.ecsJobNotFound,
        `job [${c.req.param('jobId')}] not found (finished jobs are kept about a day)`,
      );
    }
    return c.json(renderJob(job));
  });
}
