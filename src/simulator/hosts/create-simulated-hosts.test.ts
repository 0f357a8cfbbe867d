import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testHostSpec } from '../../../test/support/sim-hosts.js';
import { waitFor } from '../../../test/support/wait-for.js';
import { createSilentLogger } from '../../platform/logger.js';
import { createSimulatedHosts } from './create-simulated-hosts.js';
import type { Sandbox } from './sandbox.js';

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'kgd-boots-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const fakeSandbox: Sandbox = {
  initPid: 0,
  spawn: () => {
    throw new Error('not in this test');
  },
  call: () => Promise.reject(new Error('not in this test')),
  forward: () => {},
  stop: async () => {},
};

describe('simulated hosts booting many servers at once', () => {
  it('boots a few at a time, so a boot does not take as long as the whole batch', async () => {
    // Boots end only when the test says so: the gate alone decides how many run at once.
    const booting: Array<() => void> = [];
    let most = 0;
    const hosts = createSimulatedHosts({
      dataDir,
      sshPort: 2222,
      logger: createSilentLogger(),
      bootConcurrency: 2,
      startSandbox: () =>
        new Promise<Sandbox>((resolve) => {
          booting.push(() => resolve(fakeSandbox));
          most = Math.max(most, booting.length);
        }),
    });
    const ids = Array.from({ length: 6 }, (_, i) => `batch-${i}`);
    const started = ids.map((id) => hosts.start(testHostSpec(id, { bootDelayMs: 3_600_000 })));
    // Every disk is installed: without the gate, all six would be booting now.
    await waitFor('every machine to be installed and asking to boot', () =>
      ids.every((id) => hosts.describe(id).diskPath !== undefined),
    );
    expect(booting.length).toBe(2);
    for (let done = 0; done < ids.length; done++) {
      await waitFor('a boot to be under way', () => booting.length > 0);
      booting.shift()!();
    }
    await Promise.all(started);
    expect(most).toBe(2);
    expect(ids.map((id) => hosts.describe(id).state)).toEqual(ids.map(() => 'booting'));
    await hosts.close();
  });
});
