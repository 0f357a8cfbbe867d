import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/platform/clock.js';
import { createDebugProbe, savedDebugCases } from '../../src/simulator/marketplace/debug-probe.js';
import { createMarketplaceClient } from '../../src/simulator/marketplace/marketplace-client.js';
import type { Timer } from '../../src/simulator/marketplace/timer.js';
import { createEngineHarness, type EngineHarness, KEY } from '../support/engine-harness.js';
import { waitFor } from '../support/wait-for.js';

let h: EngineHarness;
beforeAll(async () => {
  h = await createEngineHarness();
});
afterAll(() => h?.close());

/** No pending or running operation left: the engine has done what the calls recorded. */
const engineIdle = async () => {
  const open = await h.database.db
    .selectFrom('operations')
    .select('id')
    .where('status', 'in', ['pending', 'running'])
    .execute();
  return open.length === 0;
};

/**
 * The probe's waits (a V2 poll, half a day between rounds) end when the engine is idle, with a
 * deadline: the test waits for a state, never for a time.
 */
const idleTimer: Timer = {
  now: () => Date.now(),
  sleep: async () => {
    await waitFor('the engine to finish what the calls recorded', engineIdle, {
      timeoutMs: 60_000,
    });
  },
  track: (work) => work,
  close: () => {},
};

describe('the marketplace probing the saved debug cases (spec §11)', () => {
  it('gets a success code for every case, two rounds in a row, one license upload per event, and no cloud resource is created', async () => {
    const probe = createDebugProbe({
      client: createMarketplaceClient({
        clock: systemClock,
        fetch: (input, init) => Promise.resolve(h.app.request(String(input), init)),
      }),
      timer: idleTimer,
      onLicenseEvent: (eventId) => h.sim.marketplace!.scenario.licenseEvents.add(eventId),
      settings: () => ({ productionUrl: 'http://kgd.test/koogallery/produce', key: KEY }),
    });
    const rounds = await probe.run({ rounds: 2 });
    for (const [n, r] of rounds.entries()) {
      const failed = r.results
        .filter((x) => !x.result.accepted)
        .map((x) => ({
          round: n + 1,
          case: `${x.case.protocol} ${x.case.activity}`,
          resultCode: x.result.resultCode,
          problems: x.result.problems,
          error: x.result.error,
        }));
      expect(failed).toEqual([]);
      expect(r.passed).toBe(true);
    }
    // The second round reused the instances the first one opened (and released).
    const ids = probe.instanceIds();
    expect(Object.keys(ids)).toHaveLength(2);
    for (const r of rounds) {
      const opened = r.results.filter((x) => x.case.activity === 'newInstance');
      expect(opened.map((x) => x.result.instanceId).sort()).toEqual(Object.values(ids).sort());
    }

    await waitFor('the engine to go idle', engineIdle, { timeoutMs: 60_000 });
    const instances = await h.database.db
      .selectFrom('instances')
      .select(['id', 'test', 'status', 'eip', 'server_id'])
      .execute();
    expect(instances.length).toBeGreaterThanOrEqual(2);
    expect(instances.every((i) => i.test && !i.eip && !i.server_id)).toBe(true);
    const failedOps = await h.database.db
      .selectFrom('operations')
      .select(['kind', 'failed_step', 'error'])
      // A release cancels what is still in flight for its instance: cancelled is expected.
      .where('status', 'in', ['failed', 'cleanup_failed'])
      .execute();
    expect(failedOps).toEqual([]);
    // Every saved getLicenseAsync event (an open instance, a released one, one never known):
    // its test license uploaded once, though each event was sent in both rounds.
    const events = savedDebugCases
      .filter((c) => c.activity === 'getLicenseAsync')
      .map((c) => String(c.fields.eventId));
    expect(events.length).toBeGreaterThanOrEqual(3);
    const activities = rounds[0]!.results.map((x) => x.case.activity);
    expect(activities).toEqual(expect.arrayContaining(['getLicenseAsync', 'changeInstanceCheck']));
    const uploads = h.sim.marketplace!.licenseUploads();
    expect(events.map((e) => uploads.filter((u) => u.eventId === e).length)).toEqual(
      events.map(() => 1),
    );
    const cloud = h.sim.inspect();
    expect({
      servers: cloud.servers.length,
      vpcs: cloud.vpcs.length,
      subnets: cloud.subnets.length,
      securityGroups: cloud.securityGroups.length,
      eips: cloud.eips.length,
    }).toEqual({ servers: 0, vpcs: 0, subnets: 0, securityGroups: 0, eips: 0 });
  });
});
