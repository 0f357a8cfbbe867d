import type { StepRecord } from '../../deployments/engine/workflow-control.js';
import type { Db } from '../../platform/db/database.js';
import type { Operation } from '../../platform/db/schema.js';
import { ActionError } from '../../platform/errors.js';
import type { DeploymentDetail, OperationDetail, Step } from '../model.js';
import { resolveDeployment, toSummary } from './deployments.js';
import { iso } from './filters.js';
import { readLogs } from './logs.js';

/** Reads a workflow's recorded steps (DBOS); absent, details are shown without steps. */
export type StepReader = (workflowId: string) => Promise<StepRecord[]>;

function toSteps(records: StepRecord[], now: Date): Step[] {
  return records.map((s) => {
    const status = s.error ? 'failed' : s.completedAt ? 'ok' : 'running';
    const end = s.completedAt ?? (status === 'running' ? now.getTime() : undefined);
    return {
      functionId: s.functionId,
      name: s.name,
      status,
      error: s.error,
      startedAt: s.startedAt ? new Date(s.startedAt).toISOString() : null,
      completedAt: s.completedAt ? new Date(s.completedAt).toISOString() : null,
      durationMs: s.startedAt && end ? end - s.startedAt : null,
    };
  });
}

/**
 * Some failures are decided between steps (every capacity choice sold out: each wait step
 * returned normally, then the flow gave up), so no recorded step carries the error. The
 * operation's failed step is where operators must look: show it failed, with the error.
 */
function markFailedStep(steps: Step[], op: Operation): Step[] {
  const failed = ['failed', 'cleanup_failed', 'cancelled'].includes(op.status);
  if (!failed || !op.failed_step || steps.some((s) => s.status === 'failed')) return steps;
  const at = steps.map((s) => s.name).lastIndexOf(op.failed_step);
  if (at < 0) return steps;
  const message = typeof op.error?.message === 'string' ? op.error.message : op.status;
  return steps.map((s, i) =>
    i === at ? { ...s, status: 'failed', error: s.error ?? message } : s,
  );
}

async function operationDetail(
  op: Operation,
  steps: StepReader | undefined,
  now: Date,
): Promise<OperationDetail> {
  const base = {
    id: op.id,
    kind: op.kind,
    status: op.status,
    attempts: op.attempts,
    failedStep: op.failed_step,
    error: op.error,
    overrides: op.overrides ?? {},
    createdAt: iso(op.created_at)!,
    startedAt: iso(op.started_at),
    finishedAt: iso(op.finished_at),
    cancelRequestedAt: iso(op.cancel_requested_at),
  };
  if (!steps) return { ...base, steps: [], stepsUnavailable: 'workflow store not connected' };
  if (!op.workflow_id && op.status === 'pending') return { ...base, steps: [] };
  try {
    return {
      ...base,
      steps: markFailedStep(toSteps(await steps(op.workflow_id ?? op.id), now), op),
    };
  } catch (err) {
    return { ...base, steps: [], stepsUnavailable: (err as Error).message };
  }
}

/**
 * Everything about one deployment: the instance, each operation with its steps (timings, errors)
 * newest first, and the tail of its log. `id`: an instance id, or an operation id (its instance).
 */
export async function deploymentDetail(
  deps: { db: Db; steps?: StepReader | undefined },
  id: string,
  now: Date,
  options: { tail?: number } = {},
): Promise<DeploymentDetail> {
  const found = await resolveDeployment(deps.db, id);
  const inst = found.instance;
  if (!inst) throw new ActionError('NOT_FOUND', `operation ${id} belongs to no deployment`);
  const ops = [...found.operations].reverse();
  const operations = await Promise.all(ops.map((op) => operationDetail(op, deps.steps, now)));
  const logs = await readLogs(deps.db, inst.id, { tail: true, limit: options.tail ?? 50 });
  return {
    deployment: {
      ...toSummary(inst, ops[0]),
      protocol: inst.protocol,
      productId: inst.product_id,
      templateVersion: inst.template_version,
      region: inst.region,
      privateIp: inst.private_ip,
      vpcId: inst.vpc_id,
      subnetId: inst.subnet_id,
      securityGroupId: inst.security_group_id,
      frontEndUrl: inst.front_end_url,
      adminUrl: inst.admin_url,
      frozen: inst.frozen,
      expiresAt: iso(inst.expires_at),
    },
    operations,
    logTail: logs.lines,
  };
}
