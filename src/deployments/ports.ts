import type {
  Instance,
  InstanceUpdate,
  OperationKind,
  OperationStatus,
} from '../platform/db/schema.js';

/**
 * The ports the engine declares and its callers implement. Adapters of other folders implement
 * their own ports (`CloudApi` in cloud/, `RemoteHost` in remote/, `LicenseIssuer` in licenses/,
 * `ProductCatalog` in products/); these are the ones that exist only because deployments needs
 * them. Each has one typed fake in test/support/fakes/.
 */

/** One line of an order, as the KooGallery order API reports it. */
interface MarketplaceOrderLine {
  orderLineId: string;
  chargingMode?: string | undefined;
  periodType?: string | undefined;
  periodNumber?: number | undefined;
  expireTime?: Date | undefined;
  productInfo: Array<{ productId?: string | undefined; skuCode?: string | undefined }>;
}

export interface MarketplaceOrder {
  orderId: string;
  /** NEW, RENEW, CHANGE, UNSUBSCRIBE, TRIAL, TRIAL_TO_FORMAL, ... */
  orderType: string;
  buyerInfo?: { customerId?: string | undefined; customerName?: string | undefined } | undefined;
  extendParams: Array<{ name: string; value: string }>;
  orderLine: MarketplaceOrderLine[];
}

/**
 * Where V2 orders are read (they arrive thin: buyer, product, sku, period come from here).
 * marketplace/order-query-client.ts implements it over the seller order API. Failures are
 * `Retryable` (throttling, 5xx, network) or `Permanent` (auth, unknown order).
 *
 * @example
 *   const order = await orders.queryOrder('CS2211...', 'CS2211...-000001');
 */
export interface OrderSource {
  queryOrder(orderId: string, orderLineId?: string): Promise<MarketplaceOrder>;
}

/** What a workflow knows of its operation (read once, at `begin`). */
export interface OperationSnapshot {
  id: string;
  kind: OperationKind;
  /** The instance, or `order:<orderId>` for an order-level operation (a sync of an unknown order). */
  instanceId: string;
  orderId: string | null;
  orderLineId: string | null;
  params: Record<string, unknown>;
  test: boolean;
  attempt: number;
}

/** What an operator may change between runs of an operation: read fresh, never from `begin`. */
interface OperationInputs {
  /** Operator edits of a rerun (flavor, az, image, sshPort, templateVersion). */
  overrides: Record<string, unknown>;
  /** Operator reruns so far: part of client tokens, so a deliberate rerun creates afresh. */
  reruns: number;
}

export interface OperationOutcome {
  status: OperationStatus;
  failedStep?: string | undefined;
  error?: string | undefined;
  detail?: Record<string, unknown> | undefined;
}

/** The engine's columns of an instance (what steps record as they provision). */
export type InstancePatch = Omit<InstanceUpdate, 'id' | 'created_at'>;

/**
 * The engine's view of its own rows: reading instances and operations, recording what steps
 * provision, and the transitions of an operation's life. store.ts implements it over Kysely.
 *
 * @example
 *   const op = await store.beginOperation(opId); // null when it already ended
 *   await store.finishOperation(op, { status: 'succeeded' }, { status: 'ready', ready_at: now });
 */
export interface DeploymentStore {
  instance(id: string): Promise<Instance | undefined>;
  updateInstance(id: string, patch: InstancePatch): Promise<void>;
  /** Records the host key seen at first contact; false when one was already pinned. */
  pinHostKey(id: string, hostKey: string): Promise<boolean>;
  /** Keeps the first sealed root password ever set (a retried step never changes it). */
  setRootPasswordOnce(id: string, sealed: string): Promise<void>;
  /**
   * Marks the operation running (one more attempt) and a deploy's instance deploying; null when
   * the operation does not exist or already ended.
   */
  beginOperation(id: string): Promise<OperationSnapshot | null>;
  /**
   * Ends the operation and, in the same transaction, applies what its outcome means for the
   * instance: `instance` on success (ready, frozen, released...), the failure status otherwise
   * (unless a release recorded meanwhile owns the instance).
   */
  finishOperation(
    op: OperationSnapshot,
    outcome: OperationOutcome,
    instance?: InstancePatch,
  ): Promise<void>;
  cancelRequested(operationId: string): Promise<boolean>;
  /** The operation's current rerun inputs (a rerun rewinds past `begin`: its snapshot is old). */
  operationInputs(operationId: string): Promise<OperationInputs>;
  /** Records the lifecycle operation an order change asks for; null when already recorded. */
  recordFollowUp(
    op: OperationSnapshot,
    next: { kind: OperationKind; params: Record<string, unknown> },
  ): Promise<string | null>;
}

export type JournalLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * The deployment log operators read (`kgd deployments logs`): step messages and hook output,
 * scrubbed of every secret the service knows.
 */
export interface Journal {
  write(entry: {
    operationId: string;
    instanceId: string | null;
    level: JournalLevel;
    step?: string | undefined;
    stream?: string | undefined;
    message: string;
  }): Promise<void>;
}

/** Paces a rate-limited cloud call (server creation) to the account's quota, across replicas. */
export interface Pacer {
  acquire(signal?: AbortSignal): Promise<void>;
}

/** The seller's package as one archive to upload. */
export interface PackageArchive {
  path: string;
  sha256: string;
  format: 'tar' | 'zip';
}

/** A rendered license file for one getLicenseAsync event: the exact bytes and their digest. */
export interface LicenseFile {
  name: string;
  /** UTF-8 text of the file; uploaded byte for byte. */
  text: string;
  /** Lower-case hex SHA-256 of the file's bytes. */
  sha256: string;
}

/** The marketplace accepted an upload: its answer code and which host took it. */
export interface UploadReceipt {
  code: string;
  host: string;
}

/**
 * Where live licenses go (在线开通License, spec §7.2): the marketplace's upload API, one file per
 * getLicenseAsync event. marketplace/license-upload-client.ts implements it. The API has no way to
 * ask what an event already holds, so callers guard the upload itself (a checkpointed step) and a
 * resend may only ever upload the same bytes again. Failures are `Retryable` (5xx, CBC.0999,
 * 91381036, network) or `Permanent` with the marketplace's code (auth, bad parameters, License
 * quota or application refused).
 *
 * @example
 *   const receipt = await delivery.upload('EVT-0001', { name: 'license.lic', text, sha256 }, signal);
 */
export interface LicenseDelivery {
  upload(eventId: string, file: LicenseFile, signal?: AbortSignal): Promise<UploadReceipt>;
}

/** A license code 2.0 as the marketplace answers activate or query (spec §8). */
export interface CodeState {
  code: string;
  /** ALIVE, EXPIRED, RELEASED (as the marketplace spells it). */
  status: string | null;
  expireTime: Date | null;
  activateTime: Date | null;
  productId: string | null;
  orderId: string | null;
  /** The answer's `data` (or `license_code_info`) as received: unknown fields kept. */
  raw: Record<string, unknown>;
}

/** Activate's outcome: activated now, or the marketplace says it already was (92020003). */
export type Activation = { kind: 'activated'; state: CodeState } | { kind: 'already-active' };

/** One code's software usage for a day: client ids, or a count of active clients. */
export interface CodeUsage {
  code: string;
  usage: Array<{ id: string } | { activeNum: number }>;
}

/**
 * Seller → marketplace license-code APIs (联营License授权码 2.0, spec §8): activate (v1 one code,
 * v2 up to 100), query (the former heartbeat) and the daily software usage, AK/SK-signed.
 * marketplace/license-code-client.ts implements it. Refusals (92020002, 92020004, 92020005 unknown
 * code, 92020011, 92020020, 95000001–4) are `Permanent` with the marketplace's code; 92020001,
 * 5xx and no answer are `Retryable`, retried inside the client before it gives up.
 *
 * @example
 *   const r = await codes.activate('LIC-0001');
 *   if (r.kind === 'activated') console.log(r.state.expireTime);
 */
export interface LicenseCodeApi {
  activate(code: string, realEffectTime?: Date): Promise<Activation>;
  /** v2: several codes at once; the marketplace answers for the batch. */
  activateMany(codes: string[], realEffectTime?: Date): Promise<Record<string, unknown>>;
  query(code: string): Promise<CodeState>;
  reportUsage(usage: CodeUsage[]): Promise<void>;
}
