import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngineHarness, type EngineHarness } from '../support/engine-harness.js';
import { makeTemplates } from '../support/templates.js';
import { waitFor } from '../support/wait-for.js';

/**
 * Stopping the service mid-step: the running step (a 120 s install hook) is interrupted before
 * stop returns, and nothing about it is recorded, so its workflow resumes at that step later
 * instead of ending failed or cancelled.
 */
const templates = makeTemplates([
  {
    name: 'slow-install',
    productIds: ['OFFI-SLOW'],
    scripts: { install: '#!/usr/bin/env bash\necho "installing slowly"\nsleep 120\n' },
  },
]);

let h: EngineHarness;
beforeAll(async () => {
  h = await createEngineHarness({ templatesDir: templates.dir });
});
afterAll(async () => {
  await h?.close();
  templates.cleanup();
});

describe('stopping the service', () => {
  it('interrupts the running step and leaves its operation to resume', async () => {
    const id = await h.buy({ productId: 'OFFI-SLOW' });
    const hookLines = () =>
      h.database.db
        .selectFrom('operation_logs')
        .select(['message', 'level'])
        .where('instance_id', '=', id)
        .where('step', '=', 'hook-install')
        .execute();
    await waitFor(
      'the install hook to be running',
      async () => (await hookLines()).some((r) => r.message.includes('installing slowly')),
      { timeoutMs: 60_000 },
    );
    const started = Date.now();
    await h.service.stop();
    // Not the hook's 120 s: the step's signal ended it.
    expect(Date.now() - started).toBeLessThan(20_000);
    const op = await h.database.db
      .selectFrom('operations')
      .select(['status', 'failed_step', 'error'])
      .where('instance_id', '=', id)
      .executeTakeFirstOrThrow();
    expect(op).toMatchObject({ status: 'running', failed_step: null, error: null });
    expect((await h.instance(id)).status).toBe('deploying');
    // The hook was interrupted before stop returned (a warning), not left running for 120 s,
    // and nothing is logged as the deployment's failure.
    const lines = await hookLines();
    expect(lines.some((r) => r.level === 'warn' && r.message.includes('was interrupted'))).toBe(
      true,
    );
    expect(lines.filter((r) => r.level === 'error')).toEqual([]);
  }, 120_000);
});
