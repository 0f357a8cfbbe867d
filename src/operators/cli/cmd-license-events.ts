import type { Command } from 'commander';
import { CliError } from '../../platform/cli-io.js';
import type { Db } from '../../platform/db/database.js';
import { type OperatorIo, operatorExitCodes, withOperator } from './operator-context.js';
import { printJson, table, when } from './output.js';

/**
 * `kgd license events | reupload <event>`: the live License events (getLicenseAsync, spec §7) —
 * each event, its deployment, its upload (host, file, sha256, the marketplace's code) and its
 * result — and the re-upload of one whose upload failed or was cancelled. The re-upload reruns
 * the event's operation from its `upload-license` step, so the license rendered for the event
 * goes again, byte for byte (one license per event), and is audited as any rerun.
 *
 * @example
 *   kgd license events --failed
 *   kgd license reupload EVT-0001 --reason "AK/SK fixed"
 */
const eventPrefix = 'license-upload:';

interface EventView {
  eventId: string;
  operationId: string;
  instanceId: string | null;
  status: string;
  test: boolean;
  at: string;
  upload: string | null;
  error: string | null;
}

async function listEvents(db: Db, filter: { failed?: boolean; eventId?: string }) {
  let q = db
    .selectFrom('operations')
    .select(['id', 'idempotency_key', 'instance_id', 'status', 'test', 'created_at', 'error'])
    .where('kind', '=', 'license-upload');
  if (filter.failed) q = q.where('status', 'in', ['failed', 'cancelled']);
  if (filter.eventId) q = q.where('idempotency_key', '=', `${eventPrefix}${filter.eventId}`);
  const ops = await q.orderBy('created_at', 'desc').limit(500).execute();
  const logs =
    ops.length === 0
      ? []
      : await db
          .selectFrom('operation_logs')
          .select(['operation_id', 'message'])
          .where('step', '=', 'upload-license')
          .where(
            'operation_id',
            'in',
            ops.map((o) => o.id),
          )
          .orderBy('id')
          .execute();
  const uploaded = new Map<string, string>();
  for (const l of logs) uploaded.set(l.operation_id, l.message);
  return ops.map(
    (o): EventView => ({
      eventId: (o.idempotency_key ?? '').slice(eventPrefix.length),
      operationId: o.id,
      instanceId: o.instance_id,
      status: o.status,
      test: o.test,
      at: new Date(o.created_at).toISOString(),
      upload: uploaded.get(o.id) ?? null,
      error: (o.error as { message?: string } | null)?.message ?? null,
    }),
  );
}

export function registerLicenseEventsCommand(program: Command, io: OperatorIo): void {
  const license =
    program.commands.find((c) => c.name() === 'license') ??
    program.command('license').description('licenses and license codes');

  license
    .command('events')
    .description('live License events (getLicenseAsync): each upload and its result, newest first')
    .option('--failed', 'only events whose upload failed or was cancelled')
    .option('--event <eventId>', 'one event')
    .option('--json', 'print JSON')
    .action(async (flags: { failed?: boolean; event?: string; json?: boolean }) => {
      await withOperator(io, async (ctx) => {
        const events = await listEvents(ctx.db, { failed: flags.failed, eventId: flags.event });
        if (flags.json) return printJson(io, events);
        if (events.length === 0) return void io.stdout.write('no license events\n');
        io.stdout.write(
          table(
            ['EVENT', 'STATUS', 'AT', 'DEPLOYMENT', 'UPLOAD OR ERROR'],
            events.map((e) => [
              `${e.eventId}${e.test ? ' (test)' : ''}`,
              e.status,
              when(e.at),
              e.instanceId,
              e.upload ?? e.error,
            ]),
            160,
          ),
        );
      });
    });

  license
    .command('reupload <eventId>')
    .description(
      'upload an event’s license again after its upload failed or was cancelled (the same bytes; audited)',
    )
    .requiredOption('--reason <text>', 'why (required: kept in the audit log)')
    .option('--json', 'print JSON')
    .action(async (eventId: string, flags: { reason: string; json?: boolean }) => {
      await withOperator(io, async (ctx) => {
        const [event] = await listEvents(ctx.db, { eventId });
        if (!event) throw new CliError(`no license event ${eventId}`, operatorExitCodes.notFound);
        if (event.status === 'succeeded')
          throw new CliError(
            `event ${eventId} was uploaded already (${event.upload ?? 'see kgd license events'}): one upload per event`,
            operatorExitCodes.refused,
          );
        const result = await (await ctx.service()).rerun(event.operationId, {
          from: 'upload-license',
          reason: flags.reason,
          actor: ctx.actor,
        });
        if (flags.json) return printJson(io, { eventId, ...result });
        io.stdout.write(
          `re-uploading the license of event ${eventId} (operation ${result.operationId})\nfollow it: kgd license events --event ${eventId}\n`,
        );
      });
    });
}
