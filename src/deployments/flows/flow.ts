import type { Steps } from '../engine/steps.js';
import type { InstancePatch, OperationSnapshot } from '../ports.js';
import type { DeploySteps } from '../steps/index.js';

/**
 * A flow: a sequence of named steps, nothing else. It returns what the instance becomes when the
 * operation succeeds (ready, frozen, released...), which the engine commits together with the
 * operation's `succeeded`.
 */
export interface FlowContext {
  op: OperationSnapshot;
  steps: Steps;
  d: DeploySteps;
}

export type Flow = (ctx: FlowContext) => Promise<InstancePatch | undefined>;

/** The one teardown's steps, under one set of names: release and a failed deploy's cleanup. */
export async function tearDown({ op, steps, d }: FlowContext): Promise<void> {
  await steps.run('delete-servers', 'cloud', (s) => d.deleteServers(op.instanceId, s));
  await steps.run('delete-network', 'cloud', (s) => d.deleteNetwork(op.instanceId, s));
  await steps.run('verify-teardown', 'cloud', (s) => d.verifyTeardown(op.instanceId, s));
}
