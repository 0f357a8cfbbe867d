import type { ExtendParam, PurchaseOrder } from '../../deployments/commands/context.js';
import type { RenewScene } from '../../deployments/commands/record-renewal.js';

export type { ExtendParam };
/** The order a purchase carries: deployments' `PurchaseOrder`, one shape for both. */
export type OrderDetails = PurchaseOrder;

interface Base {
  test: boolean;
}

/**
 * What a marketplace call asks for, independent of protocol generation. V1 (GET) and V2 (POST)
 * activities parse into these; the handlers only ever see commands.
 */
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
