import type { Ids } from '../../platform/ids.js';
import type { InstanceSecrets } from '../model/instance-secrets.js';

/**
 * What every command gets besides its transaction and input. Commands are the only writers of
 * instances and operations: the gateway records a call's effect through them inside the call's
 * transaction, operator actions through them with their audit entry.
 */
export interface CommandContext {
  now: Date;
  ids: Ids;
  secrets: InstanceSecrets;
}

/** A buyer-entered value (extension parameters carry server addresses and passwords). */
export interface ExtendParam {
  name: string;
  value: string;
}

/** An order as a purchase carries it, whatever the protocol generation. */
export interface PurchaseOrder {
  orderId: string;
  orderLineId: string | null;
  businessId: string | null;
  productId: string | null;
  skuCode: string | null;
  customerId: string | null;
  customerName: string | null;
  userId: string | null;
  userName: string | null;
  chargingMode: string | null;
  periodType: string | null;
  periodNumber: number | null;
  trial: boolean;
  expireTime: Date | null;
  orderAmount: string | null;
  provisionType: string | null;
  /** Linear attributes (amount / diskSize / bandWidth, or V2 linearValue). */
  linear: Record<string, string>;
  /** Buyer-entered values: may carry secrets (a server password), so stored sealed. */
  extendParams: ExtendParam[];
  /** Still encrypted with the marketplace key, as received (V1 only). */
  contact: { mobilePhone?: string; email?: string };
}

/** What a lifecycle command did: nothing (unknown instance), nothing new (a resend), or recorded. */
export type Recorded =
  | { kind: 'unknown' }
  | { kind: 'duplicate'; instanceId: string }
  | { kind: 'recorded'; instanceId: string; operationId: string };
