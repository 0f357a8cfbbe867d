import type { Command } from 'commander';
import { CliError, type CliIo, exitCodes } from '../platform/cli-io.js';
import type { Config } from '../platform/config.js';
import type { Db } from '../platform/db/database.js';
import type { SecretBox } from '../platform/secrets.js';
import type { AlertChannel } from './channel.js';
import { channelSecretPurpose } from './channel-config.js';
import { type AlertKind, alertKinds } from './kinds.js';
import { listAlerts, toNotice } from './outbox.js';

/** What the alert commands open (from the composition root): the runtime and the channels. */
export interface AlertsIo extends CliIo {
  openAlerts(env: Record<string, string | undefined>): Promise<{
    config: Config;
    db: Db;
    secretBox: SecretBox;
    /** Loaded on first use: `seal` works while a channel's secret is still unsealed. */
    channels(): AlertChannel[];
    close(): Promise<void>;
  }>;
}

async function withAlerts<T>(
  io: AlertsIo,
  use: (opened: Awaited<ReturnType<AlertsIo['openAlerts']>>) => Promise<T>,
): Promise<T> {
  const opened = await io.openAlerts({ ...io.env, KGD_LOG_LEVEL: io.env.KGD_LOG_LEVEL ?? 'warn' });
  try {
    return await use(opened);
  } finally {
    await opened.close();
  }
}

/**
 * `kgd alerts list | kinds | channels | test --channel X | seal`: what is firing, what the service
 * can raise, where notices go, a test notice sent now (exit 1 with the receiver's refusal), and
 * a channel secret sealed under the master key for the alerts file.
 */
export function registerAlertsCommand(program: Command, io: AlertsIo): void {
  const alerts = program
    .command('alerts')
    .description('alerts: what is firing, the channels notices go to, a test notice');

  alerts
    .command('list')
    .alias('ls')
    .description('open alerts (firing, or clearing within the hold-down), most severe first')
    .option('--all', 'also the last resolved ones')
    .option('--json', 'print JSON')
    .action(async (flags: { all?: boolean; json?: boolean }) => {
      await withAlerts(io, async ({ db }) => {
        const rows = await listAlerts(db, { all: !!flags.all });
        if (flags.json) return void io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        if (rows.length === 0) return void io.stdout.write('no open alerts\n');
        for (const r of rows)
          io.stdout.write(
            `${r.severity.toUpperCase().padEnd(8)} ${r.state.padEnd(9)} ${r.key}\n` +
              `         ${r.summary}\n` +
              `         since ${new Date(r.started_at).toISOString()}` +
              `${Number(r.pending) ? `, ${r.pending} notice(s) pending` : ''}` +
              `${Number(r.failed) ? `, ${r.failed} notice(s) NOT delivered` : ''}\n`,
          );
      });
    });

  alerts
    .command('kinds')
    .description('the alerts the service raises: name, severity, runbook')
    .option('--json', 'print JSON')
    .action((flags: { json?: boolean }) => {
      if (flags.json) return void io.stdout.write(`${JSON.stringify(alertKinds, null, 2)}\n`);
      for (const [name, k] of Object.entries(alertKinds))
        io.stdout.write(`${name} (${k.severity}): ${k.title}\n  runbook: ${k.runbook}\n`);
    });

  alerts
    .command('channels')
    .description('the configured channels and the severities each receives (never their secrets)')
    .action(async () => {
      await withAlerts(io, async (opened) => {
        const channels = opened.channels();
        if (channels.length === 0)
          return void io.stdout.write(
            'no alert channel configured (KGD_ALERT_WEBHOOK_URL, KGD_ALERTS_FILE: docs/alerts.md)\n',
          );
        for (const c of channels)
          io.stdout.write(`${c.name.padEnd(16)} ${c.type.padEnd(9)} ${c.severities.join(', ')}\n`);
      });
    });

  alerts
    .command('test')
    .description('send a test notice to one channel now, whatever its severities')
    .requiredOption('--channel <name>', 'the channel (kgd alerts channels lists them)')
    .option('--kind <kind>', 'the alert kind the test notice imitates', 'deployment-failed')
    .action(async (flags: { channel: string; kind: string }) => {
      if (!(flags.kind in alertKinds))
        throw new CliError(
          `--kind: expected one of ${Object.keys(alertKinds).join(', ')}`,
          exitCodes.usage,
        );
      const kind = flags.kind as AlertKind;
      await withAlerts(io, async (opened) => {
        const channels = opened.channels();
        const channel = channels.find((c) => c.name === flags.channel);
        if (!channel)
          throw new CliError(
            `no channel ${flags.channel}: configured are ${channels.map((c) => c.name).join(', ') || 'none'}`,
            exitCodes.notFound,
          );
        const now = new Date();
        const id = `test_${now.getTime().toString(36)}`;
        const notice = toNotice(
          {
            id,
            key: `${kind}:test`,
            kind,
            severity: alertKinds[kind].severity,
            summary: `test notice from kgd alerts test (${kind}); nothing is wrong`,
            details: { channel: channel.name },
            started_at: now,
            resolved_at: null,
          },
          'firing',
          id,
          opened.config.publicUrl,
          true,
        );
        try {
          await channel.send(notice, AbortSignal.timeout(30_000));
        } catch (err) {
          throw new CliError(`not delivered: ${(err as Error).message}`, exitCodes.failure);
        }
        io.stdout.write(`test notice ${id} delivered to ${channel.name} (${channel.type})\n`);
      });
    });

  alerts
    .command('seal')
    .description(
      'seal a channel secret (read from stdin) under the master key, for KGD_ALERTS_FILE or KGD_ALERT_*',
    )
    .action(async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of io.stdin) chunks.push(Buffer.from(chunk as Buffer));
      const secret = Buffer.concat(chunks).toString('utf8').trim();
      if (!secret) throw new CliError('nothing to seal: pipe the secret to stdin', exitCodes.usage);
      await withAlerts(io, async ({ secretBox }) => {
        io.stdout.write(`${secretBox.seal(secret, channelSecretPurpose)}\n`);
      });
    });
}
