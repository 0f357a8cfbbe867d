import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngineHarness, type EngineHarness } from '../support/engine-harness.js';
import { startTarpit, type Tarpit } from '../support/tarpit-ssh.js';
import { makeTemplates } from '../support/templates.js';
import { waitFor } from '../support/wait-for.js';

/**
 * Hostile buyers against the whole service (gateway, DBOS engine, PostgreSQL, the simulator):
 * purchases naming servers the service must not reach, and servers that accept and then stall.
 * The stalled server is on 127.0.0.1, so the lab products admit loopback explicitly
 * (existingServer.allowCidrs), as a template would a lab network; demo-license admits nothing.
 */
let h: EngineHarness;
let pit: Tarpit;
let templates: { dir: string; cleanup(): void };

const extend = (params: Record<string, string>) =>
  Buffer.from(
    JSON.stringify(Object.entries(params).map(([name, value]) => ({ name, value }))),
  ).toString('base64');

beforeAll(async () => {
  pit = await startTarpit();
  const lab = (transferWindowSeconds: number) => ({
    existingServer: { allowCidrs: ['127.0.0.1/32'] },
    ssh: { port: pit.sshPort, waitSeconds: 10, transferWindowSeconds },
  });
  templates = makeTemplates([
    { name: 'lab-quick', productIds: ['OFFI-LAB-QUICK'], patch: lab(2) },
    { name: 'lab-slow', productIds: ['OFFI-LAB-SLOW'], patch: lab(120) },
  ]);
  h = await createEngineHarness({ templatesDir: templates.dir });
});
afterAll(async () => {
  await h?.close();
  await pit?.close();
  templates?.cleanup();
});

const buyNaming = (serverIp: string, productId = 'OFFI-DEMO-LICENSE-MONTH') =>
  h.buy({ productId, saasExtendParams: extend({ serverIp, serverPassword: 'Buyer-Pw-2026x' }) });

const statusJson = async (id: string) =>
  (await (await h.app.request(`/i/${id}?format=json`)).json()) as Record<string, unknown>;

describe('a hostile buyer', () => {
  it('cannot make the service reach a refused address: fails at once, nothing attempted, a generic status page', async () => {
    const before = { ssh: pit.sshConnections, tcp: pit.tcpBytes };
    const cases: [string, string][] = [
      ['127.0.0.1', 'loopback'],
      ['localhost', 'loopback'],
      ['169.254.169.254', 'the metadata address (169.254.169.254)'],
      ['10.20.30.40', 'private (RFC 1918)'],
      ['100.64.1.2', 'carrier-grade NAT (100.64.0.0/10)'],
    ];
    const ids = await Promise.all(cases.map(([address]) => buyNaming(address)));
    for (const [i, id] of ids.entries()) {
      const inst = await h.waitForStatus(id, 'failed', 30_000);
      expect(inst.status_detail).toContain('refused to connect to the buyer-named address');
      expect(inst.status_detail).toContain(cases[i]![1]);
      expect(inst.eip).toBeNull();
    }
    expect({ ssh: pit.sshConnections, tcp: pit.tcpBytes }).toEqual(before);
    // The buyer's page says the same for every cause; never the address or the rule.
    const page = await statusJson(ids[0]!);
    expect(page.status).toBe('failed');
    expect(JSON.stringify(page)).not.toMatch(/refused|loopback|127\.0\.0\.1/);
    const html = await (await h.app.request(`/i/${ids[2]}`)).text();
    expect(html).toContain('Your deployment needs attention');
    expect(html).not.toContain('169.254');
  });

  it('stalls an upload: it fails within its deadline; a release of a hung one completes within 10 s', async () => {
    const quick = await buyNaming('127.0.0.1', 'OFFI-LAB-QUICK');
    const started = Date.now();
    const failed = await h.waitForStatus(quick, 'failed', 30_000);
    expect(failed.status_detail).toMatch(/stalled: \d+ bytes in 2 s, below the minimum/);
    expect(Date.now() - started).toBeLessThan(20_000);

    const slow = await buyNaming('127.0.0.1', 'OFFI-LAB-SLOW');
    const execs = pit.execs;
    await waitFor('the upload to hang', async () => pit.execs > execs || undefined, {
      timeoutMs: 30_000,
    });
    const releaseAt = Date.now();
    expect((await h.v1({ activity: 'releaseInstance', instanceId: slow })).resultCode).toBe(
      '000000',
    );
    await h.waitForStatus(slow, 'released', 10_000);
    expect(Date.now() - releaseAt).toBeLessThan(10_000);
    expect((await statusJson(quick)).status).toBe('failed');
  });

  it('20 stalled orders at once leave other orders deploying', async () => {
    // 20 is every engine slot: each is held by a hung upload until its stall window (2 s) cuts
    // it, so a purchase made at the same moment still gets a slot and deploys.
    const stalled = await Promise.all(
      Array.from({ length: 20 }, () => buyNaming('127.0.0.1', 'OFFI-LAB-QUICK')),
    );
    const normal = await h.buy({});
    const ready = await h.waitForStatus(normal, 'ready', 120_000);
    expect(ready.front_end_url).toMatch(/^http:\/\/127\./);
    for (const id of stalled) {
      const inst = await h.waitForStatus(id, 'failed', 60_000);
      expect(inst.status_detail).toMatch(/stalled/);
    }
  });
});
