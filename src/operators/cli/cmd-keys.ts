import type { Command } from 'commander';
import { publishedKeys, retireSigningKey, rotateSigningKey } from '../../licenses/signing-key.js';
import { CliError } from '../../platform/cli-io.js';
import { SecretBoxError } from '../../platform/secrets.js';
import { rotateMasterKey } from '../actions/rotate-master.js';
import { recordAudit } from '../queries/audit.js';
import { type OperatorIo, operatorExitCodes, withOperator } from './operator-context.js';
import { printJson } from './output.js';

/**
 * `kgd keys rotate-master | rotate-license | retire-license <kid>`: rotating the master key
 * (secrets at rest) and the license signing key. Marketplace keys rotate through
 * KGD_MARKETPLACE_KEYS (several accepted at once). Each action is audited.
 *
 * @example
 *   KGD_MASTER_KEY=<new> KGD_MASTER_KEY_PREVIOUS=<old> kgd keys rotate-master
 *   kgd keys rotate-license && kgd license public-key > license-keys.pem
 */
export function registerKeysCommand(program: Command, io: OperatorIo): void {
  const keys = program
    .command('keys')
    .description('rotate the master key (secrets at rest) and the license signing key');

  keys
    .command('rotate-master')
    .description(
      're-seal every secret under KGD_MASTER_KEY, opening it with the key it was sealed with (KGD_MASTER_KEY_PREVIOUS): one transaction; run again to finish what an interruption or a replica still on the old key left',
    )
    .option('--dry-run', 'count what would be re-sealed; change nothing')
    .option('--json', 'print JSON')
    .action(async (flags: { dryRun?: boolean; json?: boolean }) => {
      await withOperator(io, async (ctx) => {
        const report = await rotateMasterKey(ctx.db, ctx.runtime.secretBox, {
          dryRun: flags.dryRun ?? false,
        }).catch((err: unknown) => {
          if (!(err instanceof SecretBoxError)) throw err;
          throw new CliError(`${err.message}; nothing was re-sealed`, operatorExitCodes.failure);
        });
        if (!report.dryRun)
          await recordAudit(ctx.db, {
            at: ctx.clock.now(),
            actor: ctx.actor,
            action: 'keys.rotate-master',
            target: `master-key:${report.keyId}`,
            reason: `${report.total} secret(s) re-sealed`,
            after: report.resealed,
            result: 'ok',
          });
        if (flags.json) return printJson(io, report);
        const lines = Object.entries(report.resealed).map(
          ([column, n]) => `  ${column.padEnd(34)}${n}\n`,
        );
        io.stdout.write(
          `${report.dryRun ? 'would re-seal' : 're-sealed'} ${report.total} secret(s) under master key ${report.keyId}:\n${lines.join('')}` +
            (report.dryRun
              ? ''
              : 'every secret is now sealed under the current key: KGD_MASTER_KEY_PREVIOUS can go once every replica runs with the new KGD_MASTER_KEY\n'),
        );
      });
    });

  keys
    .command('rotate-license')
    .description(
      'sign new licenses with a new key; the previous one stays published (kgd license public-key) until retired',
    )
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      await withOperator(io, async (ctx) => {
        const r = await rotateSigningKey({
          db: ctx.db,
          secretBox: ctx.runtime.secretBox,
          clock: ctx.clock,
        });
        await recordAudit(ctx.db, {
          at: ctx.clock.now(),
          actor: ctx.actor,
          action: 'keys.rotate-license',
          target: `license-key:${r.kid}`,
          reason: `previous key ${r.previous} stays published`,
          after: r,
          result: 'ok',
        });
        if (flags.json) return printJson(io, r);
        io.stdout.write(
          `new licenses are signed with key ${r.kid} (replicas load it at their next start); key ${r.previous} stays published until \`kgd keys retire-license ${r.previous}\`\n` +
            'publish both to your products now: kgd license public-key > license-keys.pem\n',
        );
      });
    });

  keys
    .command('retire-license <kid>')
    .description(
      'stop publishing an earlier license key: licenses it signed no longer verify (exit 3 if unknown, 4 for the current key)',
    )
    .option('--json', 'print JSON')
    // A kid is base64url, so one in 64 begins with '-': taken as the argument, not as an option.
    .allowUnknownOption()
    .action(async (kid: string, flags: { json?: boolean }) => {
      await withOperator(io, async (ctx) => {
        const published = await publishedKeys(ctx.db, ctx.runtime.secretBox);
        if (published.find((k) => k.kid === kid)?.current)
          throw new CliError(
            `key ${kid} signs new licenses: rotate first (kgd keys rotate-license)`,
            operatorExitCodes.refused,
          );
        const result = await retireSigningKey(ctx.db, kid);
        if (result === 'unknown')
          throw new CliError(`no published license key ${kid}`, operatorExitCodes.notFound);
        await recordAudit(ctx.db, {
          at: ctx.clock.now(),
          actor: ctx.actor,
          action: 'keys.retire-license',
          target: `license-key:${kid}`,
          reason: 'no longer published',
          after: { kid },
          result: 'ok',
        });
        if (flags.json) return printJson(io, { kid, retired: true });
        io.stdout.write(`license key ${kid} is no longer published\n`);
      });
    });
}
