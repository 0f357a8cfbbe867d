import type { Command } from 'commander';
import { Overrides, withoutBlanks } from '../../deployments/model/overrides.js';
import { isTerminal } from '../../deployments/model/states.js';
import { CliError } from '../../platform/cli-io.js';
import {
  type OperatorContext,
  type OperatorIo,
  operatorExitCodes,
  withOperator,
} from './operator-context.js';
import { createProgress, duration, printJson } from './output.js';

/** The rerun flag of each `Overrides` key. */
const flagOf: Record<string, string> = {
  flavor: '--flavor',
  az: '--az',
  imageId: '--image',
  templateVersion: '--template-version',
  sshPort: '--ssh-port',
};

/** Waits for an operation to end, showing its current step on a terminal. */
async function waitForOperation(
  io: OperatorIo,
  ctx: OperatorContext,
  opId: string,
  timeoutMs: number,
) {
  const { db, clock } = ctx;
  const progress = createProgress(io);
  const started = clock.now().getTime();
  try {
    for (;;) {
      const op = await db
        .selectFrom('operations')
        .select(['status', 'failed_step', 'error'])
        .where('id', '=', opId)
        .executeTakeFirstOrThrow();
      if (isTerminal(op.status)) return op;
      const last = await db
        .selectFrom('operation_logs')
        .select(['step'])
        .where('operation_id', '=', opId)
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      progress.update(
        `${opId} ${op.status}${last?.step ? ` at ${last.step}` : ''} (${duration(clock.now().getTime() - started)})`,
      );
      if (clock.now().getTime() - started > timeoutMs)
        throw new CliError(
          `${opId} still ${op.status} after ${duration(timeoutMs)}; it goes on: kgd deployments logs -f ${opId}`,
          operatorExitCodes.failure,
        );
      await clock.sleep(1000);
    }
  } finally {
    progress.done();
  }
}

interface WaitFlags {
  wait?: boolean;
  timeout: string;
  json?: boolean;
}

async function finish(
  io: OperatorIo,
  ctx: OperatorContext,
  flags: WaitFlags,
  result: { operationId: string } & Record<string, unknown>,
  said: string,
) {
  if (!flags.wait) {
    if (flags.json) return printJson(io, result);
    return void io.stdout.write(
      `${said}\nfollow it: kgd deployments logs -f ${result.operationId}\n`,
    );
  }
  if (!flags.json) io.stdout.write(`${said}\n`);
  const minutes = Number(flags.timeout);
  if (!Number.isFinite(minutes) || minutes <= 0)
    throw new CliError('--timeout: expected minutes above 0', operatorExitCodes.usage);
  const op = await waitForOperation(io, ctx, result.operationId, minutes * 60_000);
  if (flags.json)
    printJson(io, { ...result, status: op.status, failedStep: op.failed_step, error: op.error });
  else
    io.stdout.write(
      `${result.operationId} ${op.status}${op.failed_step ? ` at ${op.failed_step}` : ''}\n`,
    );
  if (op.status !== 'succeeded') {
    const message = (op.error as { message?: string } | null)?.message;
    throw new CliError(
      `${result.operationId} ${op.status}${message ? `: ${message}` : ''}`,
      operatorExitCodes.failure,
    );
  }
}

const withWait = (cmd: Command) =>
  cmd
    .requiredOption(
      '--reason <text>',
      'why (required: kept in the audit log and the deployment log)',
    )
    .option('--wait', 'wait until the operation ends; exit 0 only if it succeeded')
    .option('--timeout <minutes>', 'with --wait: give up waiting after this long', '60')
    .option('--json', 'print JSON');

interface RerunFlags extends WaitFlags {
  reason: string;
  from?: string;
  flavor?: string;
  az?: string;
  image?: string;
  sshPort?: string;
  templateVersion?: string;
}

export function registerDeploymentActions(group: Command, io: OperatorIo): void {
  withWait(
    group
      .command('rerun <id>')
      .description(
        'rerun a failed operation from its failed step (completed steps are kept), or --from a named step, optionally with edited inputs',
      )
      .option('--from <step>', 'rerun from this step (and everything after it)')
      .option('--flavor <flavor>', 'use this ECS flavor')
      .option('--az <az>', 'use this availability zone')
      .option('--image <imageId>', 'use this image')
      .option('--ssh-port <port>', 'connect over SSH on this port')
      .option('--template-version <version>', 'require this product template version'),
  ).action(async (id: string, flags: RerunFlags) => {
    const overrides = {
      flavor: flags.flavor,
      az: flags.az,
      imageId: flags.image,
      templateVersion: flags.templateVersion,
      sshPort: flags.sshPort,
    };
    // The one Overrides schema decides; a bad value is named by the flag the operator typed.
    const parsed = Overrides.safeParse(withoutBlanks(overrides));
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new CliError(
        `${flagOf[String(issue.path[0])]}: ${issue.message}`,
        operatorExitCodes.usage,
      );
    }
    await withOperator(io, async (ctx) => {
      const service = await ctx.service();
      const result = await service.rerun(id, {
        from: flags.from,
        overrides,
        reason: flags.reason,
        actor: ctx.actor,
      });
      const given = Object.keys(result.edits ?? {}).length;
      const edits = given ? ` with ${JSON.stringify(result.edits)}` : '';
      await finish(
        io,
        ctx,
        flags,
        result,
        `rerunning ${result.operationId} from ${result.from}${edits}`,
      );
    });
  });

  group
    .command('cancel <id>')
    .description('ask a pending or running operation to stop at its next step')
    .requiredOption('--reason <text>', 'why (required: kept in the audit log)')
    .option('--json', 'print JSON')
    .action(async (id: string, flags: { reason: string; json?: boolean }) => {
      await withOperator(io, async (ctx) => {
        const result = await (await ctx.service()).cancel(id, {
          reason: flags.reason,
          actor: ctx.actor,
        });
        if (flags.json) printJson(io, result);
        else io.stdout.write(`cancel requested for ${result.operationId}\n`);
      });
    });

  withWait(
    group
      .command('retry-cleanup <id>')
      .description('rerun the cleanup of an operation whose cleanup failed (or a failed release)'),
  ).action(async (id: string, flags: WaitFlags & { reason: string }) => {
    await withOperator(io, async (ctx) => {
      const result = await (await ctx.service()).retryCleanup(id, {
        reason: flags.reason,
        actor: ctx.actor,
      });
      await finish(
        io,
        ctx,
        flags,
        result,
        `retrying the cleanup of ${result.operationId} from ${result.from}`,
      );
    });
  });

  withWait(
    group
      .command('release <id>')
      .description("tear the deployment down by hand (as the marketplace's release would)"),
  ).action(async (id: string, flags: WaitFlags & { reason: string }) => {
    await withOperator(io, async (ctx) => {
      const result = await (await ctx.service()).release(id, {
        reason: flags.reason,
        actor: ctx.actor,
      });
      await finish(io, ctx, flags, result, `release ${result.operationId} recorded`);
    });
  });
}
