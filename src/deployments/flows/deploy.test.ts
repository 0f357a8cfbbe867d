import { describe, expect, it } from 'vitest';
import { createFlowHarness } from '../../../test/support/flow-harness.js';

describe('deploy flow', () => {
  it('goes from a purchase to a licensed, running, health-checked instance', async () => {
    const h = createFlowHarness();
    const { instanceId, operationId } = h.purchase();
    const outcome = await h.run(operationId);
    expect(outcome).toEqual({ status: 'succeeded' });
    const inst = h.instance(instanceId);
    expect(inst.status).toBe('ready');
    expect(h.op(operationId).status).toBe('succeeded');
    const inv = h.cloud.inventory();
    expect(inv.servers).toHaveLength(1);
    expect(inv.vpcs).toHaveLength(1);
    expect(inv.securityGroups).toHaveLength(1);
    expect(inst.eip).toBe(inv.servers[0]!.floatingIps[0]);
    expect(inst.front_end_url).toBe(`http://${inst.eip}:8080/`);
    expect(h.licenses.issued).toHaveLength(1);
    const vm = h.remote.machine(inst.eip!);
    expect(vm.files.get('/opt/demo-license/license/license.key')!.content.toString()).toContain(
      h.licenses.issued[0]!.text,
    );
    expect(vm.commands.map((c) => c.command).filter((c) => c.includes('scripts/'))).toEqual([
      expect.stringContaining('scripts/install.sh'),
      expect.stringContaining('scripts/start.sh'),
      expect.stringContaining('scripts/poststart.sh'),
    ]);
    console.log(h.journal.lines().join('\n'));
  });
});
