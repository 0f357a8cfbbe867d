import { describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../platform/logger.js';
import { createStrandedRecovery, type StrandedWorkflow } from './stranded.js';

/** A status table of PENDING workflows, and the executions this process runs. */
function setup() {
  const rows = new Map<string, number>();
  const running = new Set<string>();
  const requeued: string[] = [];
  const recovery = createStrandedRecovery({
    executorId: 'replica-a',
    logger: createSilentLogger(),
    runsHere: (id) => running.has(id),
    pending: async () => [...rows].map(([id, updatedAt]) => ({ id, updatedAt })),
    requeue: async (w: StrandedWorkflow) => {
      if (rows.get(w.id) !== w.updatedAt) return false;
      rows.delete(w.id);
      requeued.push(w.id);
      return true;
    },
  });
  return { rows, running, requeued, recovery };
}

describe('stranded workflows of this replica', () => {
  it('queues again a PENDING workflow nothing runs, once seen so in two rounds', async () => {
    const { rows, recovery, requeued } = setup();
    rows.set('op-1', 100);
    expect(await recovery.round()).toEqual([]);
    expect(await recovery.round()).toEqual(['op-1']);
    expect(requeued).toEqual(['op-1']);
    expect(await recovery.round()).toEqual([]);
  });

  it('leaves alone what runs in this process', async () => {
    const { rows, running, recovery } = setup();
    rows.set('op-1', 100);
    running.add('op-1');
    await recovery.round();
    expect(await recovery.round()).toEqual([]);
  });

  it('leaves alone a workflow whose row changed between the rounds (a claim being dispatched)', async () => {
    const { rows, recovery } = setup();
    rows.set('op-1', 100);
    await recovery.round();
    rows.set('op-1', 200); // claimed again meanwhile: not yet running here
    expect(await recovery.round()).toEqual([]);
    expect(await recovery.round()).toEqual(['op-1']);
  });

  it('a workflow that started running here between the rounds is not a suspect any more', async () => {
    const { rows, running, recovery } = setup();
    rows.set('op-1', 100);
    await recovery.round();
    running.add('op-1');
    await recovery.round();
    running.delete('op-1');
    // Ended here with its outcome lost: it must be seen stranded twice again.
    expect(await recovery.round()).toEqual([]);
    expect(await recovery.round()).toEqual(['op-1']);
  });

  it('a write that loses to a change since (another claim, a handover) queues nothing', async () => {
    const rows = new Map([['op-1', 100]]);
    const recovery = createStrandedRecovery({
      executorId: 'replica-a',
      logger: createSilentLogger(),
      runsHere: () => false,
      pending: async () => [...rows].map(([id, updatedAt]) => ({ id, updatedAt })),
      requeue: async () => false,
    });
    await recovery.round();
    expect(await recovery.round()).toEqual([]);
  });
});
