import type { Transaction } from 'kysely';
import type { SkuChangeRule } from '../../deployments/commands/check-change.js';
import type { CommandContext } from '../../deployments/commands/context.js';
import type { OperationDispatcher } from '../../deployments/dispatcher.js';
import type { InstanceSecrets } from '../../deployments/model/instance-secrets.js';
import type { LicenseIssuer } from '../../licenses/license-store.js';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/database.js';
import type { Database, Instance, InstanceStatus } from '../../platform/db/schema.js';
import type { Ids } from '../../platform/ids.js';
import type { Logger } from '../../platform/logger.js';
import type { SecretBox } from '../../platform/secrets.js';
import type { LicenseCodeRules } from '../../products/product-schema.js';
import type { Answer, AppInfo } from '../protocol/answers.js';
import type { EncryptType } from '../protocol/field-crypto.js';

/** Everything the gateway needs, passed in by the composition root. */
export interface GatewayDeps {
  db: Db;
  clock: Clock;
  ids: Ids;
  logger: Logger;
  /** Seals the raw calls kept in the inbox. */
  secretBox: SecretBox;
  /** Opens the instances' secrets handed to buyers (the application password). */
  secrets: InstanceSecrets;
  /** Shared keys; a call verifying under any of them is authentic (rotation). */
  keys: string[];
  encryptType: EncryptType;
  publicUrl: string;
  producePath: string;
  v1MaxSkewMs: number;
  v2MaxSkewMs: number;
  answerDeadlineMs: number;
  maxBodyBytes: number;
  licenses: LicenseIssuer;
  dispatcher: OperationDispatcher;
  /** The application user handed to buyers of a product (templates define it); default `admin`. */
  accessUser?:
    | ((productId: string | null, skuCode: string | null) => string | undefined)
    | undefined;
  /** The products' rules on sku changes at renewal (changeInstanceCheck). */
  skuChange: SkuChangeRule;
  /** Whether the product's licenses are bound to the buyer's device (getLicenseAsync, 000903). */
  bindsDevice?: ((productId: string | null, skuCode: string | null) => boolean) | undefined;
  /** What the product does with license-code events (spec §8); default: record only. */
  licenseCodeRules?: ((productId: string | null) => LicenseCodeRules | undefined) | undefined;
  /** Observes every answered call (metrics). */
  onAnswered?:
    | ((event: {
        protocol: string;
        activity: string;
        resultCode: string;
        durationMs: number;
        /** A debug call (testFlag=1, also the marketplace's probes): counted apart. */
        test: boolean;
      }) => void)
    | undefined;
}

export interface HandlerContext {
  tx: Transaction<Database>;
  deps: GatewayDeps;
  protocol: 'v1' | 'v2';
  /** The key the call verified under: answers' encrypted fields use it. */
  key: string;
  now: Date;
}

/** What every deployments command gets from a marketplace call. */
export const commandContext = (ctx: HandlerContext): CommandContext => ({
  now: ctx.now,
  ids: ctx.deps.ids,
  secrets: ctx.deps.secrets,
});

export interface Outcome {
  answer: Answer;
  idempotencyKey: string | null;
  duplicate: boolean;
  instanceId: string | null;
  operationId: string | null;
  /** Instances with new operations: the engine is woken for them after the commit. */
  wake: (string | null)[];
}

export function outcome(answer: Answer, rest: Partial<Omit<Outcome, 'answer'>> = {}): Outcome {
  return {
    answer,
    idempotencyKey: null,
    duplicate: false,
    instanceId: null,
    operationId: null,
    wake: [],
    ...rest,
  };
}

export function statusPageUrl(deps: Pick<GatewayDeps, 'publicUrl'>, instanceId: string): string {
  return `${deps.publicUrl}/i/${encodeURIComponent(instanceId)}`;
}

const memos: Record<InstanceStatus, string> = {
  pending: 'Your deployment is queued; follow its progress at the front-end URL.',
  deploying: 'Your deployment is being prepared; follow its progress at the front-end URL.',
  ready: 'Your deployment is ready.',
  frozen: 'Your deployment is frozen; renew to use it again.',
  failed: 'Your deployment hit a problem; the seller has been alerted.',
  releasing: 'Your deployment is being released.',
  released: 'Your deployment has been released.',
  cleanup_failed: 'Your deployment is being released.',
};

/** The access information handed to the buyer (plaintext; encrypted when answered). */
export function accessInfo(deps: GatewayDeps, inst: Instance): AppInfo {
  const info: AppInfo = {
    frontEndUrl: statusPageUrl(deps, inst.id),
    memo: inst.memo ?? memos[inst.status] ?? '',
  };
  if (inst.admin_url) info.adminUrl = inst.admin_url;
  if (inst.app_user) info.userName = inst.app_user;
  const password = deps.secrets.appPassword(inst);
  if (password) info.password = password;
  return info;
}
