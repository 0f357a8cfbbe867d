import { describe, expect, it } from 'vitest';
import { createMemoryLogger, createSilentLogger } from '../../platform/logger.js';
import { startSimulator } from '../server.js';
import { openCloud } from './open-cloud.js';

describe('openCloud', () => {
  it('without credentials, embeds the simulator and says so loudly', async () => {
    const { logger, lines } = createMemoryLogger();
    const opened = await openCloud(
      {
        ak: undefined,
        sk: undefined,
        projectId: undefined,
        region: 'cn-north-4',
        endpoint: undefined,
      },
      { logger, simulator: { timeScale: 0 } },
    );
    try {
      expect(opened.simulator).toBeDefined();
      expect(opened.settings.imageIds['cn-north-4']).toBeDefined();
      expect(await opened.cloud.findServersByTag('kgd-instance', 'kgi-1')).toEqual([]);
      expect(
        lines.some((l) => l.includes('"level":"warn"') && l.includes('NO CLOUD CREDENTIALS')),
      ).toBe(true);
    } finally {
      await opened.close();
    }
  });

  it('with credentials, uses them (here against a separate simulator) and embeds nothing', async () => {
    const sim = await startSimulator({ timeScale: 0 });
    try {
      const opened = await openCloud(
        {
          ak: sim.ak,
          sk: sim.sk,
          projectId: sim.projectId,
          region: sim.region,
          endpoint: sim.endpoint,
        },
        { logger: createSilentLogger() },
      );
      expect(opened.simulator).toBeUndefined();
      const vpc = await opened.cloud.ensureVpc({ name: 'kgd-o', cidr: '10.0.0.0/16', tags: {} });
      expect(sim.inspect().vpcs.map((v) => v.id)).toEqual([vpc.id]);
      await opened.close();
    } finally {
      await sim.stop();
    }
  });

  it('names the missing project id', async () => {
    await expect(
      openCloud(
        { ak: 'AK', sk: 'SK', projectId: undefined, region: 'cn-north-4', endpoint: undefined },
        { logger: createSilentLogger() },
      ),
    ).rejects.toThrow(/KGD_CLOUD_PROJECT_ID/);
  });
});
