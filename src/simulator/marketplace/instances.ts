import type { AppInfo } from './answer-check.js';
import type { Terms } from './orders.js';
import type { Protocol } from './request-builder.js';

/**
 * What the marketplace knows of each purchase: the order it came from, the instanceId the seller
 * handed back, the current terms, the access information shown to the buyer, and the lifecycle
 * as the marketplace sees it.
 */

export type InstanceState =
  /** No accepted answer yet. */
  | 'pending'
  /** V2: accepted with 000004, polling queryInstance. */
  | 'provisioning'
  | 'ready'
  | 'frozen'
  | 'released'
  /** Every attempt of the new purchase failed: the order was cancelled (spec §7). */
  | 'cancelled'
  /** Accepted, but queryInstance never reported it ready before the deadline. */
  | 'failed';

export interface SimInstance {
  /** `<orderId>/<orderLineId>` of the purchase: known before the seller names the instance. */
  key: string;
  protocol: Protocol;
  v2Body: 'thin' | 'inline';
  purchaseOrderId: string;
  purchaseLineId: string;
  instanceId?: string;
  terms: Terms;
  testFlag: '0' | '1';
  state: InstanceState;
  appInfo?: AppInfo;
  license?: string;
  createdAt: string;
  updatedAt: string;
}

export interface InstanceRegistry {
  add(instance: SimInstance): SimInstance;
  /** By instanceId, purchase orderId, or key. */
  find(ref: string): SimInstance | undefined;
  list(): SimInstance[];
  clear(): void;
}

export function createInstanceRegistry(): InstanceRegistry {
  const byKey = new Map<string, SimInstance>();
  return {
    add(instance) {
      const existing = byKey.get(instance.key);
      if (existing) return existing;
      byKey.set(instance.key, instance);
      return instance;
    },
    find(ref) {
      const direct = byKey.get(ref);
      if (direct) return direct;
      for (const i of byKey.values()) {
        if (i.instanceId === ref || i.purchaseOrderId === ref) return i;
      }
      return undefined;
    },
    list: () => [...byKey.values()],
    clear: () => byKey.clear(),
  };
}
