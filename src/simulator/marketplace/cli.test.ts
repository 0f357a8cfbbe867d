import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runMarketplaceCli as kgd } from '../../../test/support/marketplace-sim/run-cli.js';
import {
  createSimulatorHarness,
  type SimulatorHarness,
} from '../../../test/support/marketplace-sim/simulator-harness.js';

let h: SimulatorHarness;
beforeEach(async () => {
  h = await createSimulatorHarness();
});
afterEach(() => h.close());

const mp = (...args: string[]) => kgd(['marketplace', ...args, '--sim', h.sim.url]);

describe('kgd marketplace', () => {
  it('configures, then runs the demo lifecycle with human summaries', async () => {
    const cfg = await mp(
      'config',
      '--protocol',
      'v1',
      '--resends',
      '1',
      '--product',
      'NEWP=v2-inline',
    );
    expect(cfg.code).toBe(0);
    expect(JSON.parse(cfg.stdout)).toMatchObject({
      defaultProtocol: 'v1',
      knobs: { resends: 1 },
      products: { NEWP: { protocol: 'v2', v2Body: 'inline' } },
    });
    const buy = await mp(
      'buy',
      '--product',
      'OFFI01',
      '--sku',
      'small',
      '--extend',
      'domain=a.example.com',
      '--wait',
      'done',
    );
    expect(buy.code, buy.stderr).toBe(0);
    const id = /instance (\S+)\s+ready\s+v1/.exec(buy.stdout)?.[1];
    expect(id, buy.stdout).toBeTruthy();
    expect(buy.stdout).toMatch(/^buy op-1: succeeded after 1 attempt, resultCode 000000/);
    expect(buy.stdout).toContain('password ******** (--show-password)');
    expect(buy.stdout).not.toContain(`pw-${id}`);
    for (const step of [
      ['renew', '--period', 'year'],
      ['expire'],
      ['unfreeze'],
      ['upgrade', '--sku', 'large'],
      ['release'],
    ]) {
      const r = await mp(step[0]!, '--instance', id!, ...step.slice(1), '--wait', 'done');
      expect(r.code, `${step[0]}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^${step[0]} op-\\d+: succeeded`));
    }
    const shown = await mp('instances', '--show-password');
    expect(shown.stdout).toMatch(new RegExp(`instance ${id}\\s+released`));
    expect(shown.stdout).toContain(`password pw-${id}`);
    expect(shown.stdout).toContain('sku large');
    const ledger = await mp('ledger', '--json');
    const { entries, violations } = JSON.parse(ledger.stdout);
    expect(violations).toEqual([]);
    // Each accepted call was resent once (resends knob).
    expect(entries.filter((e: { resend: boolean }) => e.resend)).toHaveLength(6);
    const human = await mp('ledger', '--accepted');
    expect(human.stdout).toMatch(
      /#1 \S+ v1 newInstance order CS\S+ instance \S+ attempt 1: 200 000000 \d+ms accepted/,
    );
    expect(h.endpoint.inbox.map((r) => r.activity)).toContain('upgrade');
  });

  it('V2 buy as JSON, query, notify, license and a mock order', async () => {
    const buy = await mp('buy', '--product', 'p', '--sku', 's', '--wait', 'done', '--json');
    const answer = JSON.parse(buy.stdout);
    expect(answer.instance).toMatchObject({ state: 'ready', protocol: 'v2' });
    const q = await mp('query', '--instance', answer.instance.instanceId, '--instance', 'other');
    expect(q.code).toBe(0);
    expect(h.endpoint.inbox.at(-1)!.fields.instanceId).toBe(`${answer.instance.instanceId},other`);
    expect((await mp('notify', '--order', answer.order.orderId, '--wait', 'done')).code).toBe(0);
    const lic = await mp(
      'license',
      '--product',
      'L',
      '--sku',
      's',
      '--machine-code',
      'MC-1',
      '--wait',
      'done',
    );
    expect(lic.stdout).toMatch(/license LIC-CS/);
    const mock = await mp('buy', '--mock', 'MOCKPERIODYEARNEW', '--wait', 'done');
    expect(mock.code).toBe(0);
    expect(h.endpoint.inbox.at(-2)!.fields).toMatchObject({
      orderId: 'MOCKPERIODYEARNEW',
      testFlag: '1',
    });
  });

  it('exit codes: usage 2, not found 3, failed operation 1, unreachable simulator 1', async () => {
    const noProduct = await mp('buy', '--sku', 's');
    expect(noProduct).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--product <id> and --sku <code> are required/),
    });
    const badNumber = await mp('buy', '--product', 'p', '--sku', 's', '--periods', 'abc');
    expect(badNumber.code).toBe(2);
    expect(badNumber.stderr).toMatch(/--periods.*expected a whole number/);
    const badField = await mp('buy', '--product', 'p', '--sku', 's', '--period', 'week');
    expect(badField).toMatchObject({ code: 2, stderr: expect.stringMatching(/periodType/) });
    const tooMany = await mp(
      'buy',
      '--product',
      'p',
      '--sku',
      's',
      '--extend',
      'a=1',
      '--extend',
      'b=2',
      '--extend',
      'c=3',
      '--extend',
      'd=4',
    );
    expect(tooMany.stderr).toMatch(/extendParams: at most 3/);
    expect((await mp('renew', '--instance', 'nope')).code).toBe(3);
    const unknown = await mp('release', '--instance', 'nope', '--no-retry', '--wait', 'done');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/release op-\d+ failed: last answer: resultCode 000003/);
    const down = await kgd(['marketplace', 'ledger'], { KGD_SIM_URL: 'http://127.0.0.1:9' });
    expect(down).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(
        /cannot reach the marketplace simulator at http:\/\/127.0.0.1:9/,
      ),
    });
    const cfg = await mp('config', '--retry', 'purchase=10/20', '--seller-ak', 'AK');
    expect(cfg).toMatchObject({ code: 2, stderr: expect.stringMatching(/go together/) });
  });

  it('config shows masked secrets and sets retry cadence, skew and seller keys', async () => {
    const r = await mp(
      'config',
      '--retry',
      'release=600000/1800000',
      '--skew',
      '-2000',
      '--seller-ak',
      'AK9',
      '--seller-sk',
      'sk-secret-9',
      '--mock-product',
      'OFFI9:sku9',
      '--time-scale',
      '60',
    );
    expect(r.code, r.stderr).toBe(0);
    const cfg = JSON.parse(r.stdout);
    expect(cfg.knobs.retry.release).toEqual({ intervalMs: 600_000, windowMs: 1_800_000 });
    expect(cfg.knobs.retry.purchase).toEqual({ intervalMs: 3_600_000, windowMs: 10_800_000 });
    expect(cfg.knobs).toMatchObject({ skewMs: -2000, timeScale: 60 });
    expect(cfg.sellerCredentials).toEqual([{ ak: 'AK9', sk: '***(11 chars)' }]);
    expect(r.stdout).not.toContain('sk-secret-9');
    expect(
      h.sim.scenario.orders.get('MOCKMONTYRENEW')!.orderLine[0]!.productInfo[0]!.productId,
    ).toBe('OFFI9');
  });
});
