import type { Random } from './random.js';

/**
 * Fault injection for the simulated cloud, per API (names such as `ecs.createServers`,
 * `vpc.createVpc`, `vpc3.createSecurityGroup`; `ecs.*` or `*` match several). A fault applies
 * by rate (each call has probability `rate`), for the next `times` calls, or from a scripted
 * sequence consumed call by call (`null` = answer normally). Scripts win over rules.
 */
export type RequestFault =
  /** 429 APIGW.0308, as the gateway throttles. */
  | { kind: 'throttle' }
  /** A 5xx answer. */
  | { kind: 'server-error'; status?: 500 | 502 | 503 | 504 }
  /** No answer until `holdMs` (or the simulator stops); `processed`: the call took effect first. */
  | { kind: 'timeout'; processed?: boolean; holdMs?: number }
  /** The connection is reset without an answer. */
  | { kind: 'reset' }
  /** The answer comes `delayMs` late (real milliseconds, not time-scaled). */
  | { kind: 'slow'; delayMs: number }
  /** 403 account frozen / in arrears (Ecs.0003, VPC.2701). */
  | { kind: 'frozen' }
  /**
   * The resource is busy (huawei-cloud.md §5.4, §5.7). Without `answer`: 501 Ecs.0603 "Other
   * commands are being executed. Try again 1 minute later." on ECS, 409 VPC.0512 on VPC. With it:
   * 400 Ecs.0501 (system disk still downloading), 501 Ecs.0603, or `stream-control`, a 500 as the
   * VPC API answers under load.
   */
  | { kind: 'busy'; answer?: 'Ecs.0501' | 'Ecs.0603' | 'stream-control' };

export interface FaultRule {
  api: string;
  fault: RequestFault;
  /** Probability per matching call, 0..1 (default 1). */
  rate?: number;
  /** Apply to this many matching calls, then drop the rule. */
  times?: number;
}

/**
 * Creates for this AZ and/or flavor find no capacity: refused in the create call's answer (400
 * Ecs.0018 `create`), or accepted and then failed in the job (`job`, the default), or either at
 * random per call (`random`), as the real API answers both ways (huawei-cloud.md §5.1).
 */
export interface SoldOut {
  az?: string;
  flavor?: string;
  in?: 'create' | 'job' | 'random';
  /**
   * The code a create answer refuses with (huawei-cloud.md §5.1): Ecs.0018 flavor sold out,
   * Ecs.0319 capacity not enough, Ecs.0044 disk type sold out in the AZ, Ecs.0019 flavor
   * abandoned (no AZ will have it). Default: Ecs.0018 or Ecs.0319 at random.
   */
  code?: CreateCapacityCode;
  /**
   * Where a failed job writes its reason: on the job and its sub-job alike (`job`), a generic
   * Ecs.0219 on the job with the capacity code on the sub-job (`sub-job`), or only in the
   * sub-job's `entities.errorcode_message` (`errorcode_message`). Default: one at random.
   */
  reason?: CapacityReasonShape;
  /** A failed job leaves the server in ERROR (to be deleted) instead of rolling it back. */
  leaveError?: boolean;
}

export const createCapacityCodes = ['Ecs.0018', 'Ecs.0019', 'Ecs.0319', 'Ecs.0044'] as const;
export type CreateCapacityCode = (typeof createCapacityCodes)[number];
export const capacityReasonShapes = ['job', 'sub-job', 'errorcode_message'] as const;
export type CapacityReasonShape = (typeof capacityReasonShapes)[number];

/** How a sold-out create shows for one call. */
type SoldOutHit =
  | { in: 'create'; code?: CreateCapacityCode }
  | { in: 'job'; leaveError: boolean; reason?: CapacityReasonShape };

export interface FaultsSnapshot {
  rules: FaultRule[];
  scripts: Record<string, Array<RequestFault | null>>;
  soldOut: SoldOut[];
  /**
   * Each create finds no capacity with this probability (capacity running short at random),
   * answered in the create call or in its job at random.
   */
  soldOutRate: number;
  /**
   * Each server deleted with `delete_publicip` leaves its EIP behind, unbound, with this
   * probability (an EIP the server's delete did not take: deleted on its own, §5.4).
   */
  eipLeftRate: number;
  /** Servers refuse SSH for this long after each boot (sshd slow to come up). */

  sshRefuseAfterBootMs: number;
  /** False makes every VPC v3 call answer 404 APIGW.0101, as in regions without v3. */
  v3Available: boolean;
}

export interface Faults {
  inject(rule: FaultRule): void;
  script(api: string, sequence: Array<RequestFault | null>): void;
  soldOut(spec: SoldOut): void;
  setSshRefuseAfterBootMs(ms: number): void;
  setV3Available(available: boolean): void;
  /** The fault for this call, consuming scripts and counted rules. */
  pick(api: string): RequestFault | undefined;
  /** Whether (and where) a create of `flavor` in `az` is sold out: by rule, else by chance. */
  soldOutFor(az: string, flavor: string): SoldOutHit | undefined;
  /** Whether a rule says `flavor` is sold out in `az` (resizes, pre-checks). */
  isSoldOut(az: string, flavor: string): boolean;
  setSoldOutRate(rate: number): void;
  setEipLeftRate(rate: number): void;
  /** Whether this server delete leaves its EIP behind (by `eipLeftRate`). */
  leavesEip(): boolean;

  readonly v3Available: boolean;
  readonly sshRefuseAfterBootMs: number;
  snapshot(): FaultsSnapshot;
  clear(): void;
}

export function apiMatches(pattern: string, api: string): boolean {
  if (pattern === '*' || pattern === api) return true;
  return pattern.endsWith('.*') && api.startsWith(pattern.slice(0, -1));
}

export function createFaults(random: Random, initial?: Partial<FaultsSnapshot>): Faults {
  let rules: FaultRule[] = [];
  let scripts = new Map<string, Array<RequestFault | null>>();
  let soldOut: SoldOut[] = [];
  let soldOutRate = 0;
  let eipLeftRate = 0;
  let sshRefuseAfterBootMs = 0;

  let v3Available = true;

  const matching = (az: string, flavor: string) =>
    soldOut.find(
      (s) => (s.az === undefined || s.az === az) && (s.flavor === undefined || s.flavor === flavor),
    );

  const faults: Faults = {
    inject(rule) {
      rules.push({ ...rule });
    },
    script(api, sequence) {
      scripts.set(api, [...sequence]);
    },
    soldOut(spec) {
      soldOut.push({ ...spec });
    },
    setSshRefuseAfterBootMs(ms) {
      sshRefuseAfterBootMs = Math.max(0, ms);
    },
    setV3Available(available) {
      v3Available = available;
    },
    pick(api) {
      for (const [pattern, seq] of scripts) {
        if (!apiMatches(pattern, api) || seq.length === 0) continue;
        const next = seq.shift() ?? undefined;
        if (seq.length === 0) scripts.delete(pattern);
        return next;
      }
      for (const rule of rules) {
        if (!apiMatches(rule.api, api)) continue;
        if (random() >= (rule.rate ?? 1)) continue;
        if (rule.times !== undefined) {
          rule.times -= 1;
          if (rule.times <= 0) rules = rules.filter((r) => r !== rule);
        }
        return rule.fault;
      }
      return undefined;
    },
    isSoldOut(az, flavor) {
      return matching(az, flavor) !== undefined;
    },
    soldOutFor(az, flavor) {
      const rule = matching(az, flavor);
      const pinned = {
        ...(rule?.code ? { code: rule.code } : {}),
        ...(rule?.reason ? { reason: rule.reason } : {}),
      };
      if (rule && rule.in !== 'random') {
        return rule.in === 'create'
          ? { in: 'create', ...pinned }
          : { in: 'job', leaveError: rule.leaveError ?? false, ...pinned };
      }
      if (!rule && !(soldOutRate > 0 && random() < soldOutRate)) return undefined;
      // By chance: answered either way, and a failed job leaves its server in ERROR half the time.
      if (random() < 0.5) return { in: 'create', ...pinned };
      return { in: 'job', leaveError: rule?.leaveError ?? random() < 0.5, ...pinned };
    },
    setSoldOutRate(rate) {
      soldOutRate = Math.min(1, Math.max(0, rate));
    },
    setEipLeftRate(rate) {
      eipLeftRate = Math.min(1, Math.max(0, rate));
    },
    leavesEip: () => eipLeftRate > 0 && random() < eipLeftRate,
    get v3Available() {
      return v3Available;
    },
    get sshRefuseAfterBootMs() {
      return sshRefuseAfterBootMs;
    },
    snapshot: () => ({
      rules: rules.map((r) => ({ ...r })),
      scripts: Object.fromEntries([...scripts].map(([k, v]) => [k, [...v]])),
      soldOut: soldOut.map((s) => ({ ...s })),
      soldOutRate,
      eipLeftRate,
      sshRefuseAfterBootMs,

      v3Available,
    }),
    clear() {
      rules = [];
      scripts = new Map();
      soldOut = [];
      soldOutRate = 0;
      eipLeftRate = 0;
      sshRefuseAfterBootMs = 0;

      v3Available = true;
    },
  };
  for (const r of initial?.rules ?? []) faults.inject(r);
  for (const [api, seq] of Object.entries(initial?.scripts ?? {})) faults.script(api, seq);
  for (const s of initial?.soldOut ?? []) faults.soldOut(s);
  if (initial?.soldOutRate) faults.setSoldOutRate(initial.soldOutRate);
  if (initial?.eipLeftRate) faults.setEipLeftRate(initial.eipLeftRate);
  if (initial?.sshRefuseAfterBootMs) faults.setSshRefuseAfterBootMs(initial.sshRefuseAfterBootMs);

  if (initial?.v3Available === false) faults.setV3Available(false);
  return faults;
}
