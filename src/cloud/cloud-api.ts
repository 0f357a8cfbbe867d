/**
 * The cloud port: what deployments need from Huawei Cloud, in the project's own wire-independent
 * types. The Huawei adapter (`fromHuaweiSdk`) implements it with the official SDK; the cloud
 * simulator serves the same SDK calls, so tests use the real adapter against it.
 *
 * Every method throws `CloudError` (errors.ts) and nothing else; retryable failures have already
 * been retried by the adapter when they reach the caller.
 *
 * @example
 *   const vpc = await cloud.ensureVpc({ name: 'kgd-kgi-1', cidr: '192.168.0.0/16', tags });
 *   const subnet = await cloud.ensureSubnet({ vpcId: vpc.id, name: 'kgd-kgi-1', cidr: '192.168.0.0/24',
 *     gatewayIp: '192.168.0.1', tags });
 *   const { jobId } = await cloud.createServer({ clientToken, name, imageId, flavor, ... });
 *   const job = await waitForJob(cloud, jobId, { deadline, clock, sleep });
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

export interface EnsureVpcInput {
  name: string;
  cidr: string;
  tags: ResourceTags;
}

export interface EnsureSubnetInput {
  vpcId: string;
  name: string;
  cidr: string;
  gatewayIp: string;
  az?: string;
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

export interface EnsureSecurityGroupInput {
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
  /** Allocates and binds an EIP with the server; released with it. */
  eip?: { bandwidthMb: number };
  tags: ResourceTags;
  metadata?: Record<string, string>;
  /** Plain text; the adapter base64-encodes it. */
  userData?: string;
  description?: string;
}

export type JobStatus = 'INIT' | 'RUNNING' | 'SUCCESS' | 'FAIL' | 'PENDING_PAYMENT';

export interface CloudJob {
  id: string;
  type: string;
  status: JobStatus;
  /** Servers the job created or acted on (sub_jobs[].entities.server_id). */
  serverIds: string[];
  errorCode?: string;
  failReason?: string;
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

export interface DeleteServersOptions {
  deletePublicIp: boolean;
  deleteVolume: boolean;
}

export interface Quota {
  used: number;
  max: number;
}

export interface CloudQuotas {
  instances: Quota;
  cores: Quota;
  ramMb: Quota;
  vpcs: Quota;
  subnets: Quota;
  securityGroups: Quota;
  securityGroupRules: Quota;
  publicIps: Quota;
}

export interface TaggedResources {
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
  /** Starts the create job; retried calls with the same clientToken return the same job. */
  createServer(input: CreateServerInput): Promise<{ jobId: string; serverIds: string[] }>;
  getJob(jobId: string): Promise<CloudJob>;
  /** Undefined when the server does not exist (404 Ecs.0114). */
  getServer(id: string): Promise<ServerInfo | undefined>;
  findServersByTag(key: string, value: string): Promise<ServerInfo[]>;
  /** `jobId` is undefined when none of the servers exists any more. */
  deleteServers(ids: string[], options: DeleteServersOptions): Promise<{ jobId?: string }>;
  stopServers(ids: string[], type?: 'SOFT' | 'HARD'): Promise<{ jobId: string }>;
  startServers(ids: string[]): Promise<{ jobId: string }>;
  rebootServers(ids: string[], type?: 'SOFT' | 'HARD'): Promise<{ jobId: string }>;
  resizeServer(id: string, flavor: string): Promise<{ jobId: string }>;
  resetPassword(id: string, password: string): Promise<void>;
  /** Idempotent: an absent group is fine; a group still in use is a retryable conflict. */
  deleteSecurityGroup(id: string): Promise<void>;
  /** Idempotent; a subnet still holding ports is a retryable conflict. Shared subnets are kept. */
  deleteSubnet(vpcId: string, subnetId: string): Promise<void>;
  /** Idempotent; a VPC still holding subnets is a retryable conflict. Shared VPCs are kept. */
  deleteVpc(id: string): Promise<void>;
  /** VPCs, subnets and security groups carrying the tag (for cleanup and orphan hunting). */
  findNetworkByTag(key: string, value: string): Promise<TaggedResources>;
  getQuotas(): Promise<CloudQuotas>;
}
