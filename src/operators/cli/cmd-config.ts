import type { Command } from 'commander';
import { CliError, type CliIo, exitCodes } from '../../platform/cli-io.js';
import { systemClock } from '../../platform/clock.js';
import { type Config, loadConfig, settingNames } from '../../platform/config.js';
import { openDatabase } from '../../platform/db/database.js';
import { createSilentLogger } from '../../platform/logger.js';
import { loadProductCatalog } from '../../products/catalog.js';
import {
  checkCertificateFiles,
  probeChecks,
  probeTls,
  type UrlCheck,
  urlProblems,
} from '../production-url.js';
import { printJson, table } from './output.js';

// Alert channel URLs carry the robots' access tokens and the SMTP password.
const secret = /(_SK|_AK|_KEY|_KEYS|PASSWORD|DATABASE_URL|_SECRET|^KGD_ALERT_\w+_URL)$/;

type Check = UrlCheck;

/**
 * `kgd config check`: parses every setting (a bad one exits 78 naming the variable), then checks
 * what the service will need: templates, database, cloud, marketplace keys, public URL, and
 * KooGallery's rules for the production URL (production-url.ts): from the settings and the
 * KGD_TLS_CERT file always, over the network with `--probe`. Secrets are reported as set or
 * unset, never printed.
 */
export function registerConfigCommand(program: Command, io: CliIo): void {
  program
    .command('config')
    .description('configuration')
    .command('check')
    .description('validate the configuration and what it points at; exit 78 if something is wrong')
    .option('--json', 'print JSON')
    .option(
      '--probe',
      'also connect to the production URL: TLS version and certificate as the marketplace sees them',
    )
    .action(async (flags: { json?: boolean; probe?: boolean }) => {
      const config = loadConfig(io.env);
      const checks: Check[] = [];
      try {
        const catalog = loadProductCatalog(config.templatesDir);
        checks.push({
          name: 'templates',
          status: 'ok',
          detail: `${catalog.products.map((p) => `${p.name}@${p.version}`).join(', ')} from ${config.templatesDir}`,
        });
      } catch (err) {
        checks.push({ name: 'templates', status: 'fail', detail: (err as Error).message });
      }
      if (config.databaseUrl) {
        try {
          const db = await openDatabase({
            url: config.databaseUrl,
            poolSize: 1,
            logger: createSilentLogger(),
            migrate: false,
          });
          await db.close();
          checks.push({ name: 'database', status: 'ok', detail: 'DATABASE_URL answers' });
        } catch (err) {
          checks.push({ name: 'database', status: 'fail', detail: (err as Error).message });
        }
      } else {
        checks.push({
          name: 'database',
          status: 'ok',
          detail: `embedded PostgreSQL in ${config.dataDir} (single replica)`,
        });
      }
      checks.push(
        config.cloud.ak
          ? {
              name: 'cloud',
              status: config.cloud.projectId ? 'ok' : 'fail',
              detail: config.cloud.projectId
                ? `Huawei Cloud ${config.cloud.region}${config.cloud.endpoint ? ` at ${config.cloud.endpoint}` : ''}`
                : 'KGD_CLOUD_PROJECT_ID is required with KGD_CLOUD_AK/SK',
            }
          : {
              name: 'cloud',
              status: 'warn',
              detail:
                'no KGD_CLOUD_AK/SK: kgd serve deploys to its built-in simulator, nothing real is created',
            },
        config.marketplaceKeys.length
          ? {
              name: 'marketplace keys',
              status: 'ok',
              detail: `${config.marketplaceKeys.length} key(s) configured`,
            }
          : {
              name: 'marketplace keys',
              status: 'warn',
              detail: 'KGD_MARKETPLACE_KEYS unset: a generated key is used (simulator only)',
            },
        config.databaseUrl && !io.env.KGD_PUBLIC_URL
          ? {
              name: 'public URL',
              status: 'warn',
              detail: `${config.publicUrl}: KGD_PUBLIC_URL unset with a shared database; every replica must hand buyers the same address`,
            }
          : config.publicUrl.startsWith('https://')
            ? { name: 'public URL', status: 'ok', detail: config.publicUrl }
            : {
                name: 'public URL',
                status: config.cloud.ak ? 'warn' : 'ok',
                detail: `${config.publicUrl}${config.cloud.ak ? ': buyers get this address; KGD_PUBLIC_URL should be https' : ''}`,
              },
      );
      checks.push(...(await productionUrlChecks(config, flags.probe === true)));
      const a = config.alerts;
      const shortcuts = [
        a.webhook.url,
        a.wecom.url,
        a.dingtalk.url,
        a.feishu.url,
        a.email.smtp,
        a.smn.topicUrn,
      ];
      const alertSources = [
        ...(a.file ? [a.file] : []),
        ...(shortcuts.some(Boolean)
          ? [`${shortcuts.filter(Boolean).length} KGD_ALERT_* channel(s)`]
          : []),
      ];
      checks.push(
        alertSources.length
          ? {
              name: 'alerts',
              status: 'ok',
              detail: `${alertSources.join(' and ')} (kgd alerts test --channel X sends one)`,
            }
          : {
              name: 'alerts',
              status: 'warn',
              detail: 'no alert channel: alerts are only logged and counted (docs/alerts.md)',
            },
      );
      const settings = Object.fromEntries(
        settingNames.map((k) => {
          const v = io.env[k];
          return [k, v === undefined || v === '' ? null : secret.test(k) ? '(set, hidden)' : v];
        }),
      );
      if (flags.json)
        printJson(io, { ok: !checks.some((c) => c.status === 'fail'), checks, settings });
      else {
        io.stdout.write(
          table(
            ['CHECK', 'STATUS', 'DETAIL'],
            checks.map((c) => [c.name, c.status, c.detail]),
            120,
          ),
        );
        const set = Object.entries(settings).filter(([, v]) => v !== null);
        io.stdout.write(
          `\nsettings from the environment${io.env.KGD_CONFIG_FILE ? ` and ${io.env.KGD_CONFIG_FILE}` : ''} (others take their defaults):\n`,
        );
        for (const [k, v] of set) io.stdout.write(`  ${k}=${v}\n`);
      }
      if (checks.some((c) => c.status === 'fail'))
        throw new CliError('configuration check failed', exitCodes.config);
    });
}

/** KooGallery's rules for the production URL (spec §1): warnings in production, notes otherwise. */
async function productionUrlChecks(config: Config, probe: boolean): Promise<Check[]> {
  const productionUrl = `${config.publicUrl}${config.producePath}`;
  const now = systemClock.now();
  const problems = urlProblems(productionUrl);
  const checks: Check[] = [
    problems.length === 0
      ? {
          name: 'production URL',
          status: 'ok',
          detail: `${productionUrl}: https, a domain, port 443`,
        }
      : {
          // On the simulator the marketplace is ours: a local http URL is expected there.
          name: 'production URL',
          status: config.cloud.ak ? 'warn' : 'ok',
          detail: `${productionUrl}: ${problems.join('; ')}${config.cloud.ak ? '' : ' (fine on the simulator; KooGallery refuses it)'}`,
        },
  ];
  if (config.tls) checks.push(checkCertificateFiles(config.tls, config.publicUrl, now));
  if (probe) {
    checks.push(
      ...(productionUrl.startsWith('https://')
        ? probeChecks(await probeTls(productionUrl), now)
        : [
            {
              name: 'production URL (probe)',
              status: 'warn' as const,
              detail: 'not probed: not https',
            },
          ]),
    );
  }
  return checks;
}
