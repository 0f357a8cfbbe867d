import type { CloudApi } from '../../src/cloud/cloud-api.js';
import { fromHuaweiSdk } from '../../src/cloud/huawei-adapter.js';
import {
  type HuaweiCloudSettingsInput,
  parseHuaweiCloudSettings,
} from '../../src/cloud/huawei-settings.js';
import { createSilentLogger, type Logger } from '../../src/platform/logger.js';
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

export interface CloudFixture {
  sim: SimulatorHandle;
  cloud: CloudApi & { securityGroupApi(): 'v3' | 'v2' };
  clock: ManualClock;
  /** Advances the fake clock instead of waiting: the adapter's and waitForJob's sleep. */
  sleep: (ms: number) => Promise<void>;
  slept: number[];
  hosts: RecordingHosts;
  settings: HuaweiCloudSettingsInput;
  stop(): Promise<void>;
}

/**
 * Test support: the simulator in-process on a free port and on a fake clock at realistic
 * durations, and the real adapter (real SDK, real HTTP, real signatures) pointed at it. Sleeping
 * advances the clock, so a 60 s server create takes milliseconds and nothing sleeps for real.
 */
export async function startCloudFixture(
  options: {
    sim?: SimulatorOptions;
    settings?: Partial<HuaweiCloudSettingsInput>;
    logger?: Logger;
  } = {},
): Promise<CloudFixture> {
  const clock = createManualClock({ start: new Date('2026-03-01T08:00:00Z') });
  const hosts = createRecordingHosts();
  const sim = await startSimulator({
    clock,
    hosts,
    seed: 7,
    latency: { apiMs: [0, 0] },
    ...options.sim,
  });
  const slept: number[] = [];
  const sleep = async (ms: number) => {
    slept.push(ms);
    clock.advance(ms);
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
  const cloud = fromHuaweiSdk({
    settings: parseHuaweiCloudSettings(settings),
    logger: options.logger ?? createSilentLogger(),
    sleep,
    random: () => 0.5,
  });
  return {
    sim,
    cloud,
    clock,
    sleep,
    slept,
    hosts,
    settings,
    async stop() {
      await sim.stop();
      await hosts.close();
    },
  };
}
