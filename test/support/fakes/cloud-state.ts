import type {
  CloudJob,
  IngressRuleSpec,
  NetworkResource,
  ResourceTags,
  ServerInfo,
} from '../../../src/cloud/cloud-api.js';
import { CloudNotFound, CloudPermanent } from '../../../src/cloud/errors.js';
import { validateTags } from '../../../src/cloud/tags.js';
import type { Clock } from '../../../src/platform/clock.js';

/** How long jobs take on the clock, in milliseconds. */
export interface FakeCloudDurations {
  createMs: number;
  /** Until a sold-out create or resize job turns to FAIL. */
  failMs: number;
  stopMs: number;
  startMs: number;
  resizeMs: number;
  deleteMs: number;
}

export const defaultDurations: FakeCloudDurations = {
  createMs: 40_000,
  failMs: 10_000,
  stopMs: 20_000,
  startMs: 20_000,
  resizeMs: 60_000,
  deleteMs: 15_000,
};

export interface FakeVpc extends NetworkResource {
  cidr: string;
}
export interface FakeSubnet extends NetworkResource {
  vpcId: string;
  cidr: string;
}
export interface FakeSecurityGroup {
  id: string;
  name: string;
  tags: ResourceTags;
  rules: IngressRuleSpec[];
}
export interface FakeServer extends ServerInfo {
  vpcId: string;
  subnetId: string;
  eipId?: string;
  adminPass?: string;
  userData?: string;
  /** A delete job runs: the server still holds its subnet and group until it ends. */
  deleting: boolean;
}
export interface FakeEip {
  id: string;
  address: string;
  serverId?: string;
  /** Clock time of its creation (ms). */
  createdAt: number;
}

export interface FakeCloudInventory {
  vpcs: FakeVpc[];
  subnets: FakeSubnet[];
  securityGroups: FakeSecurityGroup[];
  servers: FakeServer[];
  eips: FakeEip[];
  jobs: CloudJob[];
}

export type FakeState = ReturnType<typeof createFakeState>;

/** The fake cloud's resources and its timeline of transitions due at clock times. */
export function createFakeState(clock: Clock) {
  const timeline: Array<{ at: number; seq: number; run: () => void }> = [];
  let seq = 0;
  let nextId = 1;
  const state = {
    clock,
    vpcs: new Map<string, FakeVpc>(),
    subnets: new Map<string, FakeSubnet>(),
    groups: new Map<string, FakeSecurityGroup>(),
    servers: new Map<string, FakeServer>(),
    eips: new Map<string, FakeEip>(),
    jobs: new Map<string, CloudJob>(),
    id: (prefix: string) => `${prefix}-${String(nextId++).padStart(6, '0')}`,
    /** Runs `run` once the clock reaches now + `delayMs` (at the next call that looks). */
    at(delayMs: number, run: () => void) {
      timeline.push({ at: clock.now().getTime() + delayMs, seq: seq++, run });
    },
    /** Applies every transition due by now, in time order. */
    settle() {
      timeline.sort((a, b) => a.at - b.at || a.seq - b.seq);
      while (timeline[0] && timeline[0].at <= clock.now().getTime()) timeline.shift()!.run();
    },
    startJob(type: string, serverIds: string[]): CloudJob {
      const job: CloudJob = {
        id: state.id('job'),
        type,
        status: 'RUNNING',
        serverIds,
        beginTime: clock.now().toISOString(),
      };
      state.jobs.set(job.id, job);
      return job;
    },
    /** Ends the job; a failure is written as ECS does: on the job and on each sub-job. */
    endJob(job: CloudJob, failure?: { code: string; reason: string }) {
      job.status = failure ? 'FAIL' : 'SUCCESS';
      job.endTime = clock.now().toISOString();
      if (failure) {
        job.errorCode = failure.code;
        job.failReason = failure.reason;
        job.failures = job.serverIds.map((serverId) => ({ serverId, ...failure }));
      }
    },
    inventory(): FakeCloudInventory {
      state.settle();
      const copy = <T>(all: Iterable<T>) => [...all].map((x) => structuredClone(x));
      return {
        vpcs: copy(state.vpcs.values()),
        subnets: copy(state.subnets.values()),
        securityGroups: copy(state.groups.values()),
        servers: copy(state.servers.values()),
        eips: copy(state.eips.values()),
        jobs: copy(state.jobs.values()),
      };
    },
  };
  return state;
}

/** Refused by the cloud (400), as the adapter classifies it. */
export const refused = (operation: string, message: string, code = 'Ecs.0005') =>
  new CloudPermanent(`${operation}: ${message}`, { code, operation, httpStatus: 400 });

/** Refused by the adapter before calling the cloud. */
export const badInput = (operation: string, message: string) =>
  new CloudPermanent(`${operation}: ${message}`, { code: 'kgd.bad-input', operation });

export const notFound = (operation: string, what: string, code = 'Ecs.0114') =>
  new CloudNotFound(`${operation}: ${what} not found`, { code, operation, httpStatus: 404 });

/** The adapter's checks of names, CIDRs and tags. */
export function checkInput(operation: string, name: string, tags: ResourceTags, cidr?: string) {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name))
    throw badInput(operation, 'name must be 1-64 letters, digits, _ . -');
  if (cidr !== undefined && !/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(cidr))
    throw badInput(operation, 'cidr must be an IPv4 CIDR such as 192.168.0.0/16');
  try {
    validateTags(tags);
  } catch (e) {
    throw badInput(operation, `tags: ${(e as Error).message}`);
  }
}

/** The resource with this exact name carrying these tags (the lowest id if several). */
export function findByNameAndTags<T extends { id: string; name: string; tags: ResourceTags }>(
  all: Iterable<T>,
  name: string,
  tags: ResourceTags,
): T | undefined {
  return [...all]
    .filter((r) => r.name === name && Object.entries(tags).every(([k, v]) => r.tags[k] === v))
    .sort((a, b) => (a.id < b.id ? -1 : 1))[0];
}

/** JSON with object keys sorted: equal inputs give equal strings. */
export const stableJson = (v: unknown): string =>
  JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1)))
      : x,
  );
