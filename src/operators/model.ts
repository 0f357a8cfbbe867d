import { z } from 'zod';

/**
 * What operators see, as zod schemas: the service layer returns these shapes, the admin API
 * validates and documents them (OpenAPI components named by `meta.id`), the CLI and the dashboard
 * print them. One definition, three surfaces.
 */
const instant = z.string().meta({ description: 'ISO 8601 time', example: '2026-03-01T03:12:00Z' });

export const instanceStatuses = [
  'pending',
  'deploying',
  'ready',
  'frozen',
  'failed',
  'releasing',
  'released',
  'cleanup_failed',
] as const;
export const InstanceStatusSchema = z.enum(instanceStatuses).meta({ id: 'InstanceStatus' });

const OperationRefSchema = z
  .object({
    id: z.string(),
    kind: z.string(),
    status: z.string(),
    failedStep: z.string().nullable(),
    attempts: z.number().int(),
    overrides: z.record(z.string(), z.unknown()).meta({ description: 'inputs edited by a rerun' }),
  })
  .meta({ id: 'OperationRef' });

const DeploymentSummarySchema = z
  .object({
    id: z.string().meta({ example: 'kgi-01jq3v9x6b7k2m4n5p6q7r8s9t' }),
    status: InstanceStatusSchema,
    statusDetail: z.string().nullable(),
    product: z.string().nullable().meta({ description: 'product template name, or productId' }),
    sku: z.string().nullable(),
    customerId: z.string().nullable(),
    customerName: z.string().nullable(),
    orderId: z.string(),
    test: z.boolean(),
    serverId: z.string().nullable(),
    eip: z.string().nullable(),
    flavor: z.string().nullable(),
    az: z.string().nullable(),
    createdAt: instant,
    updatedAt: instant,
    readyAt: instant.nullable(),
    releasedAt: instant.nullable(),
    latestOperation: OperationRefSchema.nullable(),
  })
  .meta({ id: 'DeploymentSummary' });
export type DeploymentSummary = z.infer<typeof DeploymentSummarySchema>;

const StatusCountsSchema = z
  .record(z.string(), z.number().int())
  .meta({ id: 'StatusCounts', description: 'deployments per status (the other filters applied)' });

export const DeploymentListSchema = z
  .object({
    items: z.array(DeploymentSummarySchema),
    counts: StatusCountsSchema,
    total: z.number().int().meta({ description: 'matching deployments, all statuses' }),
  })
  .meta({ id: 'DeploymentList' });
export type DeploymentList = z.infer<typeof DeploymentListSchema>;

const StepSchema = z
  .object({
    functionId: z.number().int(),
    name: z.string(),
    status: z.enum(['ok', 'failed', 'running']),
    error: z.string().nullable(),
    startedAt: instant.nullable(),
    completedAt: instant.nullable(),
    durationMs: z.number().nullable(),
  })
  .meta({ id: 'Step' });
export type Step = z.infer<typeof StepSchema>;

const OperationDetailSchema = z
  .object({
    id: z.string(),
    kind: z.string(),
    status: z.string(),
    attempts: z.number().int(),
    failedStep: z.string().nullable(),
    error: z.record(z.string(), z.unknown()).nullable(),
    overrides: z.record(z.string(), z.unknown()),
    createdAt: instant,
    startedAt: instant.nullable(),
    finishedAt: instant.nullable(),
    cancelRequestedAt: instant.nullable(),
    steps: z.array(StepSchema),
    stepsUnavailable: z.string().optional().meta({ description: 'why steps could not be read' }),
  })
  .meta({ id: 'OperationDetail' });
export type OperationDetail = z.infer<typeof OperationDetailSchema>;

const LogLineSchema = z
  .object({
    id: z.string(),
    at: instant,
    operationId: z.string(),
    level: z.enum(['debug', 'info', 'warn', 'error']),
    step: z.string().nullable(),
    stream: z.string().nullable(),
    message: z.string(),
  })
  .meta({ id: 'LogLine' });
export type LogLine = z.infer<typeof LogLineSchema>;

export const LogPageSchema = z
  .object({
    lines: z.array(LogLineSchema),
    next: z.string().meta({ description: 'pass as `after` to read what follows' }),
    open: z.boolean().meta({ description: 'an operation is still pending or running' }),
  })
  .meta({ id: 'LogPage' });
export type LogPage = z.infer<typeof LogPageSchema>;

export const DeploymentDetailSchema = z
  .object({
    deployment: DeploymentSummarySchema.extend({
      protocol: z.string(),
      productId: z.string().nullable(),
      templateVersion: z.string().nullable(),
      region: z.string().nullable(),
      privateIp: z.string().nullable(),
      vpcId: z.string().nullable(),
      subnetId: z.string().nullable(),
      securityGroupId: z.string().nullable(),
      frontEndUrl: z.string().nullable(),
      adminUrl: z.string().nullable(),
      frozen: z.boolean(),
      expiresAt: instant.nullable(),
    }),
    operations: z.array(OperationDetailSchema),
    logTail: z.array(LogLineSchema),
  })
  .meta({ id: 'DeploymentDetail' });
export type DeploymentDetail = z.infer<typeof DeploymentDetailSchema>;

export const InboxSummarySchema = z
  .object({
    id: z.string(),
    receivedAt: instant,
    protocol: z.string(),
    method: z.string(),
    activity: z.string().nullable(),
    resultCode: z.string(),
    instanceId: z.string().nullable(),
    operationId: z.string().nullable(),
    duplicate: z.boolean(),
    test: z.boolean(),
    durationMs: z.number(),
    answeredLate: z.boolean(),
  })
  .meta({ id: 'InboxSummary' });
export type InboxSummary = z.infer<typeof InboxSummarySchema>;

export const InboxDetailSchema = InboxSummarySchema.extend({
  idempotencyKey: z.string().nullable(),
  parsed: z.record(z.string(), z.unknown()).nullable().meta({
    description: 'the call as understood; extension parameters and contact fields stay sealed',
  }),
  answer: z.unknown().meta({ description: 'the answer given (encrypted password redacted)' }),
}).meta({ id: 'InboxDetail' });
export type InboxDetail = z.infer<typeof InboxDetailSchema>;

export const ReplayResultSchema = z
  .object({
    inboxId: z.string(),
    activity: z.string().nullable(),
    stored: z.object({ resultCode: z.string(), answer: z.unknown() }),
    replayed: z.object({ resultCode: z.string(), answer: z.unknown(), status: z.number() }),
  })
  .meta({ id: 'ReplayResult' });
export type ReplayResult = z.infer<typeof ReplayResultSchema>;

export const AuditEntrySchema = z
  .object({
    id: z.string(),
    at: instant,
    actor: z.string(),
    action: z.string(),
    target: z.string(),
    reason: z.string(),
    before: z.record(z.string(), z.unknown()).nullable(),
    after: z.record(z.string(), z.unknown()).nullable(),
    result: z.enum(['ok', 'refused', 'failed']),
    detail: z.string().nullable(),
  })
  .meta({ id: 'AuditEntry' });
export type AuditEntryView = z.infer<typeof AuditEntrySchema>;

const resource = z.object({ id: z.string(), name: z.string() });
export const SweepCandidateSchema = z
  .object({
    instanceId: z.string().meta({ description: 'the kgd-instance tag ("" when missing)' }),
    why: z.enum(['released', 'failed', 'unknown']),
    servers: z.array(resource.extend({ status: z.string() })),
    securityGroups: z.array(resource),
    subnets: z.array(resource.extend({ vpcId: z.string() })),
    vpcs: z.array(resource),
  })
  .meta({ id: 'SweepCandidate' });
export type SweepCandidate = z.infer<typeof SweepCandidateSchema>;

export const SweepDeletionSchema = z
  .object({
    instanceId: z.string(),
    deleted: z.number().int(),
    error: z.string().nullable(),
  })
  .meta({ id: 'SweepDeletion' });
export type SweepDeletion = z.infer<typeof SweepDeletionSchema>;

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ example: 'CONFLICT' }),
      message: z.string(),
    }),
  })
  .meta({ id: 'Error' });
