import { afterEach, beforeEach, expect, it } from 'vitest';
import { runMarketplaceCli as kgd } from '../../../test/support/marketplace-sim/run-cli.js';
import { type SimulatorHandle, startSimulator } from '../server.js';

let sim: SimulatorHandle;
beforeEach(async () => {
  sim = await startSimulator({ latency: { apiMs: [0, 0] } });
});
afterEach(() => sim.stop());

const buyer = (...args: string[]) => kgd(['marketplace', 'buyer', ...args, '--sim', sim.endpoint]);

it('kgd marketplace buyer: opens an account, creates and deletes the agency', async () => {
  const created = await buyer('create', '--name', 'acme', '--region', 'cn-north-4', '--json');
  expect(created.code, created.stderr).toBe(0);
  const account = JSON.parse(created.stdout) as { domainId: string; projects: unknown[] };
  expect(account.projects).toHaveLength(1);

  const noPolicy = await buyer('agency', '--domain', account.domainId);
  expect(noPolicy.code).toBe(2);
  const agency = await buyer('agency', '--domain', account.domainId, '--action', 'vpc:*:*');
  expect(agency.code, agency.stderr).toBe(0);
  expect(agency.stdout).toMatch(/^agency kgd-deployer \(\w+\) created in \w+, trusting kgd-seller/);
  expect([...sim.accounts.list()].map((a) => a.name).sort()).toEqual(['acme', 'kgd-seller']);

  const again = await buyer('agency', '--domain', account.domainId, '--role', 'VPC FullAccess');
  expect(again.code).toBe(1);
  expect(again.stderr).toContain('already exists');
  expect((await buyer('delete-agency', '--domain', account.domainId)).code).toBe(0);
  expect((await buyer('delete-agency', '--domain', account.domainId)).code).toBe(3);
});
