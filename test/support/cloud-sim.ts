import type { CloudApi, ServerQuotaSource } from '../../src/cloud/cloud-api.js';
import { fromHuaweiSdk } from '../../src/cloud/huawei-adapter.js';
import {
  type HuaweiCloudSettingsInput,
  parseHuaweiCloudSettings,
} from '../../src/cloud/huawei-settings.js';
import { type Clock, systemClock } from '../../src/platform/clock.js';
import { createSilentLogger, type Logger } from '../../src/platform/logger.js';
import { defaultImageId } from '../../src/simulator/cloud/catalog.js';
import {
  createRecordingHosts,
  type RecordingHosts,
} from '../../src/simulator/cloud/recording-hosts.js';
import {
  type SimulatorHandle,
  type SimulatorOptions,
  startSimulator,
} from '../../src/simulator/server.js';
import { createManualClock, type ManualClock } from './fakes/manual-clock.js';

/**
 * Test support for the cloud adapter: the simulated Huawei Cloud, and the real adapter (real SDK,
 * real HTTP, real signatures) pointed at it. Tests under src/cloud reach the simulator only
 * through here (the import rule: only src/app imports src/simulator).
 */
export { defaultImageId, type SimulatorHandle, type SimulatorOptions, startSimulator };

export type HuaweiCloud = CloudApi & ServerQuotaSource & { securityGroupApi(): 'v3' | 'v2' };

/** The real adapter against a running simulator (settings and clock overridable). */
export function huaweiCloudFor(
  sim: Pick<SimulatorHandle, 'region' | 'projectId' | 'ak' | 'sk' | 'endpoint'>,
  options: {
    settings?: Partial<HuaweiCloudSettingsInput>;
    logger?: Logger;
    clock?: Clock;
    /** Backoff jitter in [0, 1); Math.random by default. */
    random?: () => number;
  } = {},
): HuaweiCloud {
  return fromHuaweiSdk({
    settings: parseHuaweiCloudSettings({
      region: sim.region,
      projectId: sim.projectId,
      ak: sim.ak,
      sk: sim.sk,
      endpoint: sim.endpoint,
      timeoutMs: 2000,
      ...options.settings,
    }),
    logger: options.logger ?? createSilentLogger(),
    clock: options.clock ?? systemClock,
    ...(options.random ? { random: options.random } : {}),
  });
}

export interface CloudFixture {
  sim: SimulatorHandle;
  cloud: HuaweiCloud;
  /** Drives the simulator; advances by itself to the next sleeper's deadline (`auto`). */
  clock: ManualClock;
  /** A sleep on the clock, recorded in `slept`. */
  sleep: (ms: number) => Promise<void>;
  /** Every sleep the adapter took (retry backoffs, readiness polls), in order. */
  slept: number[];
  hosts: RecordingHosts;
  settings: HuaweiCloudSettingsInput;
  /** Another adapter on the same simulator and clock, with other settings. */
  adapter(settings?: Partial<HuaweiCloudSettingsInput>): HuaweiCloud;
  stop(): Promise<void>;
}

/**
 * The simulator in-process on a free port and on a manual clock at realistic durations, and the
 * real adapter sleeping on that clock: a 60 s server create takes milliseconds and nothing
 * sleeps for real.
 */
export async function startCloudFixture(
  options: {
    sim?: SimulatorOptions;
    settings?: Partial<HuaweiCloudSettingsInput>;
    logger?: Logger;
  } = {},
): Promise<CloudFixture> {
  const clock = createManualClock({ start: new Date('2026-03-01T08:00:00Z'), auto: true });
  const hosts = createRecordingHosts();
  const sim = await startSimulator({
    clock,
    hosts,
    seed: 7,
    latency: { apiMs: [0, 0] },
    ...options.sim,
  });
  const slept: number[] = [];
  const recording: Clock = {
    now: () => clock.now(),
    sleep(ms, signal) {
      slept.push(ms);
      return clock.sleep(ms, signal);
    },
  };
  const settings: HuaweiCloudSettingsInput = {
    region: sim.region,
    projectId: sim.projectId,
    ak: sim.ak,
    sk: sim.sk,
    endpoint: sim.endpoint,
    timeoutMs: 2000,
    ...options.settings,
  };
  const adapter = (over: Partial<HuaweiCloudSettingsInput> = {}) =>
    huaweiCloudFor(sim, {
      settings: { ...settings, ...over },
      logger: options.logger ?? createSilentLogger(),
      clock: recording,
      random: () => 0.5,
    });
  return {
    sim,
    cloud: adapter(),
    clock,
    sleep: (ms) => recording.sleep(ms),
    slept,
    hosts,
    settings,
    adapter,
    async stop() {
      await sim.stop();
      await hosts.close();
    },
  };
}
