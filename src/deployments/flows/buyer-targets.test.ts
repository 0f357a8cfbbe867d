import { describe, expect, it } from 'vitest';
import type { StepRecord } from '../../../test/support/fakes/memory-steps.js';
import { createFlowHarness, type FlowHarness } from '../../../test/support/flow-harness.js';

/** A purchase naming the buyer's own server (and optionally a server id). */
function buyNaming(h: FlowHarness, serverIp: string, extra: Record<string, string> = {}) {
  const id = `kgi-buyer-${h.store.instances.size + 1}`;
  return h.purchase({
    id,
    private_sealed: h.secrets.sealPrivate(id, {
      extendParams: Object.entries({ serverIp, serverPassword: 'buyer-pw-1', ...extra }).map(
        ([name, value]) => ({ name, value }),
      ),
    }),
  });
}

/** Nothing reached toward any buyer address: no SSH attempt, no HTTP request, no upload. */
function nothingAttempted(h: FlowHarness) {
  expect(h.remote.attempts).toEqual([]);
  expect(h.health.asked).toEqual([]);
  expect(h.cloud.callsOf('getServer')).toEqual([]);
}

describe('servers a buyer names are untrusted', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['10.0.0.5', 'private (RFC 1918)'],
    ['172.20.1.1', 'private (RFC 1918)'],
    ['192.168.7.7', 'in the deny list (192.168.0.0/16)'],
    ['100.64.0.1', 'carrier-grade NAT (100.64.0.0/10)'],
    ['169.254.10.10', 'link-local'],
    ['169.254.169.254', 'the metadata address (169.254.169.254)'],
    ['224.0.0.251', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['::ffff:127.0.0.1', 'loopback'],
  ])('refuses %s (%s) at once, permanently, connecting nowhere', async (address, rule) => {
    const h = createFlowHarness();
    h.remote.addMachine({ host: address, password: 'buyer-pw-1' });
    const { instanceId, operationId } = buyNaming(h, address);
    const outcome = await h.run(operationId);
    expect(outcome).toMatchObject({ status: 'failed' });
    const inst = h.instance(instanceId);
    expect(inst.status).toBe('failed');
    expect(inst.status_detail).toContain(
      `refused to connect to the buyer-named address ${address}: ${rule}`,
    );
    expect(inst.eip).toBeNull();
    nothingAttempted(h);
  });

  it('refuses a host name resolving to 127.0.0.1, and one with any refused address', async () => {
    for (const [name, address, rule] of [
      ['loopback.example', '127.0.0.1', 'loopback'],
      ['split.example', '10.1.2.3', 'private (RFC 1918)'],
    ]) {
      const h = createFlowHarness();
      const { instanceId, operationId } = buyNaming(h, name!);
      expect(await h.run(operationId)).toMatchObject({ status: 'failed' });
      expect(h.instance(instanceId).status_detail).toContain(
        `refused to connect to the buyer-named address ${address} (${name}): ${rule}`,
      );
      nothingAttempted(h);
    }
  });

  it('refuses an address in KGD_BUYER_TARGET_DENY even where the product allows it', async () => {
    const h = createFlowHarness({ buyerDeny: ['203.0.113.0/28'] });
    h.remote.addMachine({ host: '203.0.113.7', password: 'buyer-pw-1' });
    const { instanceId, operationId } = buyNaming(h, '203.0.113.7');
    expect(await h.run(operationId)).toMatchObject({ status: 'failed' });
    expect(h.instance(instanceId).status_detail).toContain(
      'buyer-named address 203.0.113.7: in the deny list (203.0.113.0/28)',
    );
    nothingAttempted(h);
  });

  it('deploys onto a name that resolves to an admitted address, connecting to that address only', async () => {
    const h = createFlowHarness();
    h.remote.addMachine({ host: '203.0.113.9', password: 'buyer-pw-1' });
    const { instanceId, operationId } = buyNaming(h, 'buyer.example');
    expect(await h.run(operationId)).toEqual({ status: 'succeeded' });
    expect(h.instance(instanceId)).toMatchObject({ status: 'ready', eip: '203.0.113.9' });
    expect(new Set(h.remote.attempts.map((a) => a.host))).toEqual(new Set(['203.0.113.9']));
    expect(h.health.asked).toEqual(['http://203.0.113.9:8080/healthz']);
  });

  it('refuses a server id (seller mode) unless the product looks servers up', async () => {
    const h = createFlowHarness();
    h.remote.addMachine({ host: '203.0.113.7', password: 'buyer-pw-1' });
    const refused = buyNaming(h, '203.0.113.7', { ecsId: 'seller-server-1' });
    expect(await h.run(refused.operationId)).toMatchObject({ status: 'failed' });
    expect(h.instance(refused.instanceId).status_detail).toContain(
      'the order names server id seller-server-1 (ecsId), which this product does not look up',
    );
    nothingAttempted(h);

    const allowing = createFlowHarness({
      products: (ps) =>
        ps.map((p) =>
          p.existingServer
            ? { ...p, existingServer: { ...p.existingServer, serverIdLookup: true } }
            : p,
        ),
    });
    allowing.remote.addMachine({ host: '203.0.113.7', password: 'buyer-pw-1' });
    const looked = buyNaming(allowing, '203.0.113.7', { ecsId: 'buyer-server-1' });
    expect(await allowing.run(looked.operationId)).toEqual({ status: 'succeeded' });
    expect(allowing.cloud.callsOf('getServer')).toHaveLength(1);
  });

  it('checks the pinned address again where each later step connects', async () => {
    // use-existing-server admitted and pinned the address; the deny list then grows (the
    // operator's change, or a policy a restarted replica reads) before wait-ssh connects.
    const deny: string[] = [];
    const h = createFlowHarness({ buyerDeny: deny });
    const machine = h.remote.addMachine({ host: '203.0.113.7', password: 'buyer-pw-1' });
    const { instanceId, operationId } = buyNaming(h, '203.0.113.7');
    const record: StepRecord[] = [];
    expect(await h.run(operationId, { record, stopAfter: 3 })).toBe('stopped');
    expect(h.instance(instanceId).eip).toBe('203.0.113.7');
    deny.push('203.0.113.0/29');
    expect(await h.run(operationId, { record })).toMatchObject({ status: 'failed' });
    expect(h.instance(instanceId).status_detail).toContain(
      'buyer-named address 203.0.113.7: in the deny list (203.0.113.0/29)',
    );
    expect(machine.commands).toEqual([]);
    expect(machine.uploads).toEqual([]);
  });
});
