/** The DBOS queue every operation runs on, partitioned so an instance's run one at a time. */
export const OPERATIONS_QUEUE = 'kgd-operations';

/** The name the operation workflow is registered under (engine.ts). */
export const OPERATION_WORKFLOW = 'kgd.operation';

export const partitionKeyOf = (op: { instance_id: string | null; order_id: string | null }) =>
  op.instance_id ?? `order:${op.order_id}`;
