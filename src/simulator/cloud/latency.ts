import type { Random } from './random.js';

/**
 * How long things take, in realistic milliseconds (huawei-cloud.md §3: creates take tens of
 * seconds, power actions 15-35 s, sshd answers tens of seconds after ACTIVE; VPC create ~2 s),
 * each as a [min, max] range. `timeScale` multiplies them all: 1 for benchmarks and demos that
 * should feel real, 0.01 for fast tests, 0 to make every transition immediate.
 */
export interface LatencyProfile {
  /** Time to answer an API call (real delay before the HTTP answer). */
  apiMs: [number, number];
  jobStartMs: [number, number];
  serverCreateMs: [number, number];
  /** After ACTIVE, until sshd accepts connections (passed to the hosts as bootDelayMs). */
  bootMs: [number, number];
  stopMs: [number, number];
  startMs: [number, number];
  rebootMs: [number, number];
  resizeMs: [number, number];
  deleteMs: [number, number];
  /** When a sold-out create job turns to FAIL. */
  failMs: [number, number];
  vpcCreateMs: [number, number];
  subnetCreateMs: [number, number];
  /** After a server's delete job ends, until its port leaves the subnet and security group. */
  portReleaseMs: [number, number];
  /** After the port is released, until GET answers 404 (status DELETED until then). */
  deletedLingerMs: [number, number];
  /** After a 204 on DELETE, until GET answers 404. */
  subnetDeleteMs: [number, number];
  vpcDeleteMs: [number, number];
  securityGroupDeleteMs: [number, number];
  /** After a 204 on an EIP's DELETE, until GET answers 404 (PENDING_DELETE until then). */
  eipDeleteMs: [number, number];
}

export const realisticLatency: LatencyProfile = {
  apiMs: [30, 150],
  jobStartMs: [1000, 3000],
  serverCreateMs: [30_000, 60_000],
  bootMs: [15_000, 30_000],
  stopMs: [15_000, 35_000],
  startMs: [15_000, 30_000],
  rebootMs: [20_000, 40_000],
  resizeMs: [60_000, 120_000],
  deleteMs: [10_000, 20_000],
  failMs: [5_000, 15_000],
  vpcCreateMs: [1500, 3000],
  subnetCreateMs: [2000, 5000],
  // Ports are released "seconds to minutes" after the delete job (huawei-cloud.md §5.4).
  portReleaseMs: [5_000, 40_000],
  deletedLingerMs: [10_000, 30_000],
  subnetDeleteMs: [2_000, 8_000],
  vpcDeleteMs: [1_000, 5_000],
  securityGroupDeleteMs: [500, 3_000],
  eipDeleteMs: [2_000, 10_000],
};

export interface Latency {
  /** A duration of the kind, jittered and time-scaled. */
  draw(kind: keyof LatencyProfile): number;
  readonly timeScale: number;
}

export function createLatency(options: {
  timeScale: number;
  random: Random;
  profile?: Partial<LatencyProfile>;
}): Latency {
  if (!(options.timeScale >= 0)) throw new TypeError('timeScale must be a number >= 0');
  const profile = { ...realisticLatency, ...options.profile };
  return {
    timeScale: options.timeScale,
    draw(kind) {
      const [min, max] = profile[kind];
      return Math.round((min + options.random() * (max - min)) * options.timeScale);
    },
  };
}
