import type { Command } from 'commander';
import { CliError, type CliIo, exitCodes } from '../../platform/cli-io.js';
import { simControl, simUrl } from './cli-client.js';
import { collect, withTarget } from './cli-options.js';

interface Account {
  domainId: string;
  name: string;
  ak?: string;
  sk?: string;
  projects: Array<{ region: string; id: string }>;
}

function required(value: string | undefined, flag: string): string {
  if (!value) throw new CliError(`${flag} is required`, exitCodes.usage);
  return value;
}

/**
 * `kgd marketplace buyer ...`: act as a buyer of the simulated cloud (issue 14): open a buyer
 * account, then do what the deploy page asks of the buyer in the IAM console: create the agency
 * trusting the seller's account with a policy, or delete it (the agency-lost case).
 *
 * @example
 *   kgd marketplace buyer create --name acme --region cn-north-4 --region cn-east-3
 *   kgd marketplace buyer agency --domain <id> --action 'vpc:*:*' --action 'ecs:cloudServers:*'
 *   kgd marketplace buyer delete-agency --domain <id>
 */
export function registerBuyerCommands(mp: Command, io: CliIo): void {
  const buyer = mp
    .command('buyer')
    .description('act as a buyer of the simulated cloud: account and IAM agency');
  const write = (json: boolean | undefined, value: unknown, text: string) =>
    io.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : text);
  const projects = (a: Account) => a.projects.map((p) => `${p.region}=${p.id}`).join(' ');

  withTarget(
    buyer
      .command('create')
      .description("open a buyer account (its key is shown once, as the console's)"),
  )
    .requiredOption('--name <name>', 'account name')
    .option('--region <id>', 'a region the account has a project in (repeatable)', collect, [])
    .action(async (f: { name: string; region: string[]; sim?: string; json?: boolean }) => {
      const a = await simControl<Account>(simUrl(f, io), 'POST', '/sim/accounts', {
        name: f.name,
        ...(f.region.length ? { regions: f.region } : {}),
      });
      write(
        f.json,
        a,
        `buyer account ${a.name}\n  domain id  ${a.domainId}\n  projects   ${projects(a)}\n  AK         ${a.ak}\n  SK         ${a.sk}\n`,
      );
    });

  withTarget(buyer.command('list').description('every account of the simulated cloud')).action(
    async (f: { sim?: string; json?: boolean }) => {
      const { accounts } = await simControl<{ accounts: Account[] }>(
        simUrl(f, io),
        'GET',
        '/sim/accounts',
      );
      write(
        f.json,
        accounts,
        accounts.map((a) => `${a.domainId}  ${a.name}  ${projects(a)}\n`).join(''),
      );
    },
  );

  withTarget(
    buyer
      .command('agency')
      .description("create the agency trusting the seller's account, with its policy"),
  )
    .option('--domain <id>', 'the buyer account id')
    .option('--name <agency>', 'agency name', 'kgd-deployer')
    .option('--trust <account>', "the seller's account name", 'kgd-seller')
    .option('--action <action>', 'an allowed action of the custom policy (repeatable)', collect, [])
    .option(
      '--role <name>',
      "a system role instead, e.g. 'ECS FullAccess' (repeatable)",
      collect,
      [],
    )
    .option(
      '--region <id>',
      'grant in this region only (repeatable; default every region)',
      collect,
      [],
    )
    .option('--duration <d>', 'FOREVER, ONEDAY or a number of days', 'FOREVER')
    .action(
      async (f: {
        domain?: string;
        name: string;
        trust: string;
        action: string[];
        role: string[];
        region: string[];
        duration: string;
        sim?: string;
        json?: boolean;
      }) => {
        const domain = required(f.domain, '--domain <id>');
        if (!f.action.length && !f.role.length)
          throw new CliError(
            'give the policy: --action <action> or --role <name>',
            exitCodes.usage,
          );
        const answer = await simControl<{ id: string }>(
          simUrl(f, io),
          'POST',
          `/sim/accounts/${encodeURIComponent(domain)}/agencies`,
          {
            name: f.name,
            trustDomainName: f.trust,
            actions: f.action,
            roles: f.role,
            regions: f.region,
            duration: f.duration,
          },
        );
        write(
          f.json,
          answer,
          `agency ${f.name} (${answer.id}) created in ${domain}, trusting ${f.trust}\n`,
        );
      },
    );

  withTarget(
    buyer.command('delete-agency').description('delete the agency (the seller loses access)'),
  )
    .option('--domain <id>', 'the buyer account id')
    .option('--name <agency>', 'agency name', 'kgd-deployer')
    .action(async (f: { domain?: string; name: string; sim?: string; json?: boolean }) => {
      const domain = required(f.domain, '--domain <id>');
      await simControl(
        simUrl(f, io),
        'DELETE',
        `/sim/accounts/${encodeURIComponent(domain)}/agencies/${encodeURIComponent(f.name)}`,
      );
      write(f.json, { deleted: f.name }, `agency ${f.name} deleted from ${domain}\n`);
    });
}
