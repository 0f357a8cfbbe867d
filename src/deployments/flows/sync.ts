import type { FlowContext } from './flow.js';

/** orderNotify (V2): read the order and record the lifecycle operation it describes. */
export async function syncFlow({ op, steps, d }: FlowContext): Promise<undefined> {
  await steps.run('read-order', 'cloud', (s) => d.orderChange(op, s));
  return undefined;
}
