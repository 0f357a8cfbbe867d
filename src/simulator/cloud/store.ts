import type { PortRange } from '../../cloud/port-ranges.js';
import { type Catalog, defaultQuotas, type Quotas } from './catalog.js';

/**
 * The simulated cloud's state: plain records in maps, owned by one simulator instance (no module
 * state). Route handlers and lifecycle transitions read and change it; the inspection API shows it.
 */
export type Tags = Record<string, string>;

export interface SimServer {
  id: string;
  name: string;
  /** BUILD, ACTIVE, SHUTOFF, REBOOT, RESIZE, VERIFY_RESIZE, ERROR. */
  status: string;
  /** OS-EXT-STS:task_state while a job works on it (spawning, deleting, powering-off...). */
  taskState: string | null;
  flavor: string;
  imageId: string;
  az: string;
  vpcId: string;
  subnetId: string;
  fixedIp: string;
  eipId: string | undefined;
  securityGroupIds: string[];
  tags: Tags;
  metadata: Record<string, string>;
  description: string;
  adminPass: string | undefined;
  keyName: string | undefined;
  userData: string | undefined;
  rootVolumeId: string;
  createdAt: string;
  updatedAt: string;
  fault: { code: number; message: string } | undefined;
  /** The simulated machine has been started (so stop/setIngress apply). */
  hostStarted: boolean;
}

interface SimSubJob {
  id: string;
  status: string;
  serverId: string;
  errorCode: string | undefined;
  failReason: string | undefined;
  /** `entities.errorcode_message`: where ECS often puts a sub-job's real reason. */
  message?: string | undefined;
}

export interface SimJob {
  id: string;
  type: string;
  status: 'INIT' | 'RUNNING' | 'SUCCESS' | 'FAIL';
  beginAt: number;
  endAt: number | undefined;
  errorCode: string | undefined;
  failReason: string | undefined;
  subJobs: SimSubJob[];
}

export interface SimVpc {
  id: string;
  name: string;
  cidr: string;
  description: string;
  status: 'CREATING' | 'OK';
  tags: Tags;
  enterpriseProjectId: string;
  /** A DELETE was accepted; the VPC goes when the scheduler says. */
  deleting: boolean;
  createdAt: string;
}

export interface SimSubnet {
  id: string;
  name: string;
  cidr: string;
  gatewayIp: string;
  vpcId: string;
  az: string;
  status: 'UNKNOWN' | 'ACTIVE';
  tags: Tags;
  /** DNS servers as created (none unless asked: huawei-cloud.md §5.2). */
  dns: string[];
  /** A DELETE was accepted; the subnet goes when the scheduler says. */
  deleting: boolean;
  /** Fixed IPs in use (servers' ports). */
  usedIps: Set<string>;
  createdAt: string;
}

export interface SimRule {
  id: string;
  groupId: string;
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  /** null: any protocol. */
  protocol: string | null;
  /** undefined: all ports. */
  ranges: PortRange[] | undefined;
  remoteIpPrefix: string | null;
  remoteGroupId: string | null;
  action: 'allow' | 'deny';
  priority: number;
  description: string;
  createdAt: string;
}

export interface SimSecurityGroup {
  id: string;
  name: string;
  description: string;
  tags: Tags;
  enterpriseProjectId: string;
  createdVia: 'v2' | 'v3';
  /** A DELETE was accepted; the group goes when the scheduler says. */
  deleting: boolean;
  rules: SimRule[];
  createdAt: string;
}

export interface SimEip {
  id: string;
  address: string;
  bandwidthMb: number;
  serverId: string | undefined;
  createdAt: string;
  /** A DELETE was accepted (PENDING_DELETE); the EIP goes when the scheduler says. */
  deleting?: boolean;
}

interface SimVolume {
  id: string;
  type: string;
  sizeGb: number;
  serverId: string | undefined;
  createdAt: string;
}

interface ClientTokenRecord {
  bodyHash: string;
  at: number;
  answer: { job_id: string; serverIds: string[] };
}

export interface CloudStore {
  servers: Map<string, SimServer>;
  jobs: Map<string, SimJob>;
  vpcs: Map<string, SimVpc>;
  subnets: Map<string, SimSubnet>;
  securityGroups: Map<string, SimSecurityGroup>;
  eips: Map<string, SimEip>;
  volumes: Map<string, SimVolume>;
  clientTokens: Map<string, ClientTokenRecord>;
  keypairs: Map<string, string>;
  quotas: Quotas;
  catalog: Catalog;
}

export function createCloudStore(catalog: Catalog, quotas: Partial<Quotas> = {}): CloudStore {
  return {
    servers: new Map(),
    jobs: new Map(),
    vpcs: new Map(),
    subnets: new Map(),
    securityGroups: new Map(),
    eips: new Map(),
    volumes: new Map(),
    clientTokens: new Map(),
    keypairs: new Map(),
    quotas: { ...defaultQuotas, ...quotas },
    catalog,
  };
}

/** Forgets every resource (the catalogue and registered images stay). */
export function resetStore(store: CloudStore, quotas: Partial<Quotas> = {}): void {
  for (const m of [
    store.servers,
    store.jobs,
    store.vpcs,
    store.subnets,
    store.securityGroups,
    store.eips,
    store.volumes,
    store.clientTokens,
  ]) {
    m.clear();
  }
  store.quotas = { ...defaultQuotas, ...quotas };
}

/** What the ECS limits API reports as used. */
export function computeUsage(store: CloudStore) {
  let cores = 0;
  let ramMb = 0;
  let instances = 0;
  for (const s of store.servers.values()) {
    // A DELETED server still answers GET for a while; it no longer counts.
    if (s.status === 'DELETED') continue;
    instances++;
    const f = store.catalog.flavors.get(s.flavor);
    cores += f?.vcpus ?? 0;
    ramMb += f?.ramMb ?? 0;
  }
  let rules = 0;
  for (const g of store.securityGroups.values()) rules += g.rules.length;
  return {
    instances,
    cores,
    ramMb,
    vpcs: store.vpcs.size,
    subnets: store.subnets.size,
    securityGroups: store.securityGroups.size,
    securityGroupRules: rules,
    publicIps: store.eips.size,
  };
}
