/**
 * How the gateway hands work to the deployment engine. The gateway records operations in the same
 * transaction as its answer, then calls `wake` after the commit; the engine also scans for pending
 * operations at start and periodically, so a wake lost in a crash delays work but never loses it.
 */
export interface OperationDispatcher {
  wake(instanceId: string | null): void;
}

/** Used until an engine is attached (and by gateway tests): operations stay pending. */
export const idleDispatcher: OperationDispatcher = { wake() {} };
