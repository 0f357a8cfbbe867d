import type { ExtendParam, PurchaseOrder } from '../../deployments/commands/context.js';
import type {
  CodeRelease,
  CodeRenewal,
  CodeStatusChange,
} from '../../deployments/commands/record-license-code-event.js';
import type { LicenseRenewalInput } from '../../deployments/commands/record-license-renewal.js';
import type { LicenseUploadInput } from '../../deployments/commands/record-license-upload.js';
import type { RenewalInput } from '../../deployments/commands/record-renewal.js';
import type { UpgradeInput } from '../../deployments/commands/record-upgrade.js';

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
    | ({ kind: 'renew' } & Omit<RenewalInput, 'test'>)
    | { kind: 'expire'; instanceId: string }
    | { kind: 'release'; instanceId: string; orderId: string | null; orderLineId: string | null }
    | ({ kind: 'upgrade' } & Omit<UpgradeInput, 'test'>)
    | { kind: 'status'; instanceId: string; frozen: boolean }
    | { kind: 'license'; order: OrderDetails }
    | { kind: 'notify'; orderId: string; orderLineId: string | null }
    | {
        kind: 'changeCheck';
        instanceId: string;
        productId: string;
        skuCode: string;
        linearValue: number | null;
      }
    | ({ kind: 'license-async' } & Omit<LicenseUploadInput, 'test'>)
    | ({ kind: 'license-renew' } & Omit<LicenseRenewalInput, 'test'>)
    | ({ kind: 'code-renew' } & Omit<CodeRenewal, 'activity'>)
    | ({ kind: 'code-status' } & Omit<CodeStatusChange, 'activity'>)
    | ({ kind: 'code-release' } & Omit<CodeRelease, 'activity'>)
  );
