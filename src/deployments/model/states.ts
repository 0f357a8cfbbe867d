import type { InstanceStatus, OperationKind, OperationStatus } from '../../platform/db/schema.js';

/**
 * Where instances and operations may go, in one place. Commands check transitions here; the
 * engine derives an instance's status from its operation's outcome here.
 */
export const openOperation: readonly OperationStatus[] = ['pending', 'running'];

const terminalOperation: readonly OperationStatus[] = [
  'succeeded',
  'failed',
  'cancelled',
  'superseded',
  'cleanup_failed',
];

/** An operator may rerun an operation in one of these. */
export const rerunnableOperation: readonly OperationStatus[] = [
  'failed',
  'cancelled',
  'cleanup_failed',
];

export const isOpen = (status: OperationStatus) => openOperation.includes(status);
export const isTerminal = (status: OperationStatus) => terminalOperation.includes(status);

/** A release was recorded: nothing else happens to the instance any more. */
export const isGone = (status: InstanceStatus) => status === 'releasing' || status === 'released';

/** Settled: the buyer has (or had) a working deployment; access information is handed out. */
export const isSettled = (status: InstanceStatus) => status === 'ready' || status === 'frozen';

export const isInProgress = (status: InstanceStatus) =>
  status === 'pending' || status === 'deploying';

export const isFailed = (status: InstanceStatus) =>
  status === 'failed' || status === 'cleanup_failed';

/**
 * Why an instance in this status cannot change sku at renewal (changeInstanceCheck), or undefined
 * when it can: a working deployment, frozen by expiry included, may change.
 */
export function changeBlockedBy(status: InstanceStatus): string | undefined {
  if (isGone(status)) return `the instance is ${status}`;
  if (isFailed(status))
    return `the instance's deployment failed (${status}); the seller must repair it first`;
  if (isInProgress(status)) return `the instance is still being deployed (${status})`;
  return undefined;
}

/** A deploy (re)starting moves its instance to `deploying` from one of these only. */
export const deployableInstance: readonly InstanceStatus[] = ['pending', 'failed', 'deploying'];

/** A cleanup-failed operation, or a failed release: what `retryCleanup` reruns. */
export const needsCleanup = (op: { kind: OperationKind; status: OperationStatus }) =>
  op.status === 'cleanup_failed' || (op.kind === 'release' && op.status === 'failed');

/**
 * The instance status an operation's unsuccessful end implies (undefined: unchanged). A success
 * sets what its flow returns (ready, frozen, released) in the same transaction.
 */
export function instanceStatusAfterFailure(
  kind: OperationKind,
  status: OperationStatus,
): InstanceStatus | undefined {
  if (status === 'cleanup_failed') return 'cleanup_failed';
  if (kind === 'release' && status === 'failed') return 'cleanup_failed';
  if (kind === 'deploy' && (status === 'failed' || status === 'cancelled')) return 'failed';
  return undefined;
}
