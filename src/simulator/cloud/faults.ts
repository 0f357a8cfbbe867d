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
   * A transient answer the real cloud gives with its own code (huawei-cloud.md §5.4, §5.7):
   * `delete-refused` answers a server delete 400 Ecs.0501 (system disk still downloading) or
   * 501 Ecs.0603 (other commands running; retry after a minute), at random; `stream-control`
   * answers 500 as the VPC API does under load.
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

/** Create jobs for this AZ and/or flavor fail as sold out (a job FAIL, not an HTTP error). */
export interface SoldOut {
  az?: string;
  flavor?: string;
}

export interface FaultsSnapshot {
  rules: FaultRule[];
  scripts: Record<string, Array<RequestFault | null>>;
  soldOut: SoldOut[];
  /** Each create job fails as sold out with this probability (capacity running short at random). */
  soldOutRate: number;
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
  isSoldOut(az: string, flavor: string): boolean;
  setSoldOutRate(rate: number): void;
  /** Draws whether this create job runs into the random sold-out rate. */
  soldOutByChance(): boolean;

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
  let sshRefuseAfterBootMs = 0;

  let v3Available = true;

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
      return soldOut.some(
        (s) =>
          (s.az === undefined || s.az === az) && (s.flavor === undefined || s.flavor === flavor),
      );
    },
    setSoldOutRate(rate) {
      soldOutRate = Math.min(1, Math.max(0, rate));
    },
    soldOutByChance() {
      return soldOutRate > 0 && random() < soldOutRate;
    },
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
      sshRefuseAfterBootMs,

      v3Available,
    }),
    clear() {
      rules = [];
      scripts = new Map();
      soldOut = [];
      soldOutRate = 0;
      sshRefuseAfterBootMs = 0;

      v3Available = true;
    },
  };
  for (const r of initial?.rules ?? []) faults.inject(r);
  for (const [api, seq] of Object.entries(initial?.scripts ?? {})) faults.script(api, seq);
  for (const s of initial?.soldOut ?? []) faults.soldOut(s);
  if (initial?.soldOutRate) faults.setSoldOutRate(initial.soldOutRate);
  if (initial?.sshRefuseAfterBootMs) faults.setSshRefuseAfterBootMs(initial.sshRefuseAfterBootMs);

  if (initial?.v3Available === false) faults.setV3Available(false);
  return faults;
}
