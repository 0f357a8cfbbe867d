/**
 * What a marketplace call asks for, independent of protocol generation. V1 (GET) and V2 (POST)
 * activities parse into these; the handlers only ever see commands.
 */
export type RenewScene =
  | 'RENEWAL'
  | 'TRIAL_TO_FORMAL'
  | 'UNSUBSCRIBE_RENEWAL_PERIOD'
  | 'RENEWAL_CHANGE';

export interface ExtendParam {
  name: string;
  value: string;
}

export interface OrderDetails {
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

interface Base {
  test: boolean;
}

export type Command = Base &
  (
    | { kind: 'new'; order: OrderDetails; thin: boolean }
    | { kind: 'query'; instanceIds: string[] }
    | {
        kind: 'renew';
        instanceId: string;
        orderId: string;
        orderLineId: string | null;
        productId: string | null;
        expireTime: Date | null;
        scene: RenewScene;
        periodType: string | null;
        periodNumber: number | null;
        orderAmount: string | null;
      }
    | { kind: 'expire'; instanceId: string }
    | { kind: 'release'; instanceId: string; orderId: string | null; orderLineId: string | null }
    | {
        kind: 'upgrade';
        instanceId: string;
        orderId: string;
        orderLineId: string | null;
        productId: string | null;
        skuCode: string | null;
        linear: Record<string, string>;
        extendParams: ExtendParam[];
      }
    | { kind: 'status'; instanceId: string; frozen: boolean }
    | { kind: 'license'; order: OrderDetails }
    | { kind: 'notify'; orderId: string; orderLineId: string | null }
  );

export type CommandKind = Command['kind'];
