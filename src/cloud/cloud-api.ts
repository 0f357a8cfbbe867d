/**
 * The cloud port: what deployments (flows and the sweep) need from Huawei Cloud, in the project's
 * own wire-independent types. `fromHuaweiSdk` (huawei-adapter.ts) implements it with the official
 * SDK; `createFakeCloud` (test/support/fakes/cloud.ts) in memory; the contract suite in
 * test/contract/ holds both to the behaviour documented here.
 *
 * Errors: every method throws only the platform's classes (src/platform/errors.ts), classified
 * once by the adapter, so callers branch with `instanceof`:
 * - `Retryable`: throttling, 5xx, network errors, timeouts, a resource still in use. The adapter
 *   has already retried within its budget; trying again later is safe. `retryAfterMs` when a wait
 *   is known.
 * - `CapacityExhausted` (a `Permanent`): the flavor is sold out or the AZ has no capacity, in the
 *   create call's answer or in its job (see `waitForJob`): try the next AZ or flavor.
 * - `Permanent`: quota, bad parameters, authentication, a refused password...: an operator acts.
 * The concrete classes (`CloudRetryable`, `CloudPermanent`, `CloudCapacityExhausted` in errors.ts)
 * also carry the cloud's `code`, the `operation`, the HTTP status and the request id.
 * "Not found" is never thrown: reads answer `undefined`, deletes of what is gone succeed.
 *
 * @example
 *   const tags = kgdTags({ instanceId: 'kgi-1' });
 *   const vpc = await cloud.ensureVpc({ name: 'kgd-kgi-1', cidr: '192.168.0.0/16', tags });
 *   const subnet = await cloud.ensureSubnet({ vpcId: vpc.id, name: 'kgd-kgi-1',
 *     cidr: '192.168.0.0/24', gatewayIp: '192.168.0.1', tags });
 *   const sg = await cloud.ensureSecurityGroup({ name: 'kgd-kgi-1', tags, rules });
 *   const { jobId } = await cloud.createServer({ clientToken, name, imageId, flavor, az,
 *     vpcId: vpc.id, subnetId: subnet.id, securityGroupIds: [sg.id], adminPass, rootVolume, tags });
 *   try {
 *     const job = await waitForJob(cloud, jobId, { clock, timeoutMs: 30 * 60_000, signal });
 *     const server = await cloud.getServer(job.serverIds[0]!);
 *   } catch (err) {
 *     if (err instanceof CapacityExhausted) return tryNextAz();
 *     throw err;
 *   }
 */

/** Tags every created resource carries (tags.ts builds them). */
export type ResourceTags = Record<string, string>;

export interface NetworkResource {
  id: string;
  name: string;
  /** VPC: CREATING | OK; subnet: UNKNOWN | ACTIVE | ERROR. */
  status: string;
  /** False for the shared VPC / subnet configured by the operator: never deleted by us. */
  owned: boolean;
  tags: ResourceTags;
}

interface EnsureVpcInput {
  name: string;
  cidr: string;
  tags: ResourceTags;
}

interface EnsureSubnetInput {
  vpcId: string;
  name: string;
  cidr: string;
  gatewayIp: string;
  az?: string;
  /**
   * The subnet's DNS servers (the template's override); the region table's private DNS when
   * absent (regions.ts). A subnet is never created without DNS: it would have no resolver.
   */
  dns?: { primary: string; secondary?: string };
  tags: ResourceTags;
}

export interface IngressRuleSpec {
  direction: 'ingress' | 'egress';
  protocol: 'tcp' | 'udp' | 'icmp';
  /** Ports and ranges as `22,80-81`; empty for icmp. */
  ports: string;
  /** CIDR admitted, e.g. `0.0.0.0/0`. */
  remoteIpPrefix: string;
}

interface EnsureSecurityGroupInput {
  name: string;
  tags: ResourceTags;
  rules: IngressRuleSpec[];
}

export interface SecurityGroupResource {
  id: string;
  name: string;
  tags: ResourceTags;
  /** Which VPC API created / manages it: v3 (multiport rules) or v2 (one rule per range). */
  api: 'v3' | 'v2';
}

export interface CreateServerInput {
  /** Deterministic per (instance, operation, step): see client-token.ts. */
  clientToken: string;
  name: string;
  imageId: string;
  flavor: string;
  az?: string;
  vpcId: string;
  subnetId: string;
  securityGroupIds: string[];
  adminPass?: string;
  keyName?: string;
  rootVolume: { type: string; sizeGb: number };
  /**
   * Allocates and binds an EIP with the server; released with it. `type` is the EIP type
   * (`iptype`, the template's override); the region table's when absent (regions.ts).
   */
  eip?: { bandwidthMb: number; type?: string };
  tags: ResourceTags;
  metadata?: Record<string, string>;
  /** Plain text; the adapter base64-encodes it. */
  userData?: string;
  description?: string;
}

export type JobStatus = 'INIT' | 'RUNNING' | 'SUCCESS' | 'FAIL' | 'PENDING_PAYMENT';

/** Why one failed sub-job failed (its `error_code`, `fail_reason` and `errorcode_message`). */
export interface JobFailure {
  serverId?: string;
  code?: string;
  reason?: string;
}

export interface CloudJob {
  id: string;
  type: string;
  status: JobStatus;
  /** Servers the job created or acted on (sub_jobs[].entities.server_id). */
  serverIds: string[];
  /** The job's own code and reason, or the first failed sub-job's. */
  errorCode?: string;
  failReason?: string;
  /** Every failed sub-job, for classifying a FAIL (`waitForJob` reads them all). */
  failures?: JobFailure[];
  beginTime?: string;
  endTime?: string;
}

export interface ServerInfo {
  id: string;
  name: string;
  /** BUILD, ACTIVE, SHUTOFF, REBOOT, RESIZE, VERIFY_RESIZE, ERROR, ... */
  status: string;
  fixedIps: string[];
  floatingIps: string[];
  tags: ResourceTags;
  flavor: string;
  az: string;
  imageId: string;
  securityGroupIds: string[];
  metadata: Record<string, string>;
  fault?: { code?: number; message?: string };
}

interface DeleteServersOptions {
  deletePublicIp: boolean;
  deleteVolume: boolean;
}

interface TaggedResources {
  vpcs: NetworkResource[];
  subnets: Array<NetworkResource & { vpcId: string }>;
  securityGroups: SecurityGroupResource[];
}

export interface CloudApi {
  /** Finds the VPC by name and tags, creating it when absent; waits until it is usable (OK). */
  ensureVpc(input: EnsureVpcInput): Promise<NetworkResource>;
  /** Finds the subnet by name and tags in the VPC, creating it when absent; waits until ACTIVE. */
  ensureSubnet(input: EnsureSubnetInput): Promise<NetworkResource & { vpcId: string }>;
  /**
   * Finds the group by name and tags or creates it, then adds the rules it lacks (v3 `multiport`
   * rules; v2 one rule per range where v3 is unavailable). Never removes rules.
   */
  ensureSecurityGroup(input: EnsureSecurityGroupInput): Promise<SecurityGroupResource>;
  /**
   * Starts the create job (one server, with its EIP when `eip` is given). Calls repeated with the
   * same `clientToken` and input answer the same job and server: one server however often a
   * lost answer is retried. A sold-out flavor or AZ throws `CapacityExhausted` here or fails
   * the job (`waitForJob` throws it then).
   */
  createServer(input: CreateServerInput): Promise<{ jobId: string; serverIds: string[] }>;
  /** The job as it is now; `Permanent` for an unknown (or expired, after about a day) id. */
  getJob(jobId: string): Promise<CloudJob>;
  /** Undefined when the server does not exist (or no longer does). */
  getServer(id: string): Promise<ServerInfo | undefined>;
  /** Servers whose tag `key` is exactly `value`. */
  findServersByTag(key: string, value: string): Promise<ServerInfo[]>;
  /**
   * Starts the delete job for the servers that still exist; `jobId` is undefined when none does.
   * The servers hold their subnet and security group until the job ends.
   */
  deleteServers(ids: string[], options: DeleteServersOptions): Promise<{ jobId?: string }>;
  /** Starts a power-off job (SHUTOFF when it ends). */
  stopServers(ids: string[], type?: 'SOFT' | 'HARD'): Promise<{ jobId: string }>;
  /** Starts a power-on job (ACTIVE when it ends). */
  startServers(ids: string[]): Promise<{ jobId: string }>;
  /**
   * Starts a resize job (the server is on `flavor` when it ends). The server must be stopped
   * (SHUTOFF): a running one is refused, `Permanent` with code Ecs.0100 (huawei-cloud.md §5.6).
   * An unknown flavor is `CapacityExhausted` with scope `flavor` (Ecs.0029), like at create.
   */
  resizeServer(id: string, flavor: string): Promise<{ jobId: string }>;
  /**
   * Deletes are asynchronous in the cloud (a 204 is not "gone", huawei-cloud.md §5.4): each of
   * these resolves once the resource is really gone (its GET answers 404), within the adapter's
   * `deleteTimeoutMs`. Idempotent: an absent resource is fine. "Still in use" (servers' ports not
   * yet released, subnets left in a VPC) and the cloud's transient answers are `Retryable`: the
   * teardown tries again until what uses it is gone.
   */
  deleteSecurityGroup(id: string): Promise<void>;
  /** As `deleteSecurityGroup`; a repeated delete answered 400 means gone. Shared subnets are kept. */
  deleteSubnet(vpcId: string, subnetId: string): Promise<void>;
  /** As `deleteSecurityGroup`. Shared VPCs are kept. */
  deleteVpc(id: string): Promise<void>;
  /**
   * Deletes the EIP holding `address` if no server holds it any more — one a server's delete
   * left behind (huawei-cloud.md §5.4: "EIPs not deleted with them") — and resolves once it is
   * really gone (its GET answers 404), within `deleteTimeoutMs`. Only an EIP created no later
   * than `createdBefore` (a moment the address was still ours) is touched: an address released
   * and given to another EIP since is not ours. Absent or bound: nothing done. Resolves whether
   * one was deleted. "Busy" (409) and the cloud's transient answers are `Retryable`.
   */
  deleteDetachedEip(address: string, createdBefore: Date): Promise<boolean>;
  /** VPCs, subnets and security groups carrying the tag (for cleanup and orphan hunting). */
  findNetworkByTag(key: string, value: string): Promise<TaggedResources>;
}

/** One ECS quota of the project: how much is used of the most allowed. */
interface QuotaUse {
  used: number;
  max: number;
}

/** The project's ECS quotas (ShowServerLimits); a quota the cloud leaves out or calls unlimited is undefined. */
export interface ServerQuota {
  instances: QuotaUse | undefined;
  cores: QuotaUse | undefined;
  /** MB. */
  ramMb: QuotaUse | undefined;
}

/** Reads the project's ECS quotas: for the cloud-quota-nearly-exhausted alert, not for deploys. */
export interface ServerQuotaSource {
  serverQuota(): Promise<ServerQuota>;
}
