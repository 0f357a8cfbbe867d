import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { createProductionEndpoint } from '../../../test/support/marketplace-sim/production-endpoint.js';
import { systemClock } from '../../platform/clock.js';
import { createMemoryLogger } from '../../platform/logger.js';
import { type Listening, listen } from './listen.js';
import {
  registerMarketplaceSimulator,
  startMarketplaceSimulator,
} from './marketplace-simulator.js';

const KEY = 'realtime-test-key-0001';
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('the simulator in real time', () => {
  it('runs the hourly cadence time-scaled without drift (3600x: an hour per second)', async () => {
    const endpoint = createProductionEndpoint({ keys: [KEY], clock: systemClock });
    endpoint.fail('newInstance', { kind: 'result', code: '000005' }, 2);
    const production: Listening = await listen(endpoint.app);
    cleanup.push(() => production.close());
    const sim = await startMarketplaceSimulator({
      config: {
        productionUrl: `${production.url}/koogallery`,
        key: KEY,
        defaultProtocol: 'v1',
        knobs: { timeScale: 36_000 },
      },
    });
    cleanup.push(() => sim.close());
    const res = await fetch(`${sim.url}/sim/marketplace/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ productId: 'p', skuCode: 's', wait: 'done', waitTimeoutMs: 10_000 }),
    });
    const body = (await res.json()) as { operation: { status: string; attempts: number } };
    expect(body.operation).toMatchObject({ status: 'succeeded', attempts: 3 });
    const sent = sim.scenario.ledger.entries().map((e) => Date.parse(e.sentAt));
    // Attempts 1 h apart on the scaled timeline: 100 ms apart in real time.
    const gaps = [sent[1]! - sent[0]!, sent[2]! - sent[0]!];
    expect(gaps[0]).toBeGreaterThanOrEqual(90);
    expect(gaps[0]).toBeLessThan(400);
    expect(gaps[1]).toBeGreaterThanOrEqual(190);
    expect(gaps[1]).toBeLessThan(500);
  });

  it('mounts on a shared app, stops pending resends on close, and never logs the keys', async () => {
    const { logger, lines } = createMemoryLogger();
    const endpoint = createProductionEndpoint({ keys: [KEY], clock: systemClock });
    endpoint.fail('newInstance', { kind: 'http-500' }, 100);
    const production = await listen(endpoint.app);
    cleanup.push(() => production.close());
    const app = new Hono();
    app.get('/other', (c) => c.text('other routes keep working'));
    const sim = registerMarketplaceSimulator(app, { logger });
    const server = await listen(app);
    cleanup.push(() => server.close());
    const patch = await app.request('/sim/marketplace/config', {
      method: 'PATCH',
      body: JSON.stringify({
        productionUrl: `${production.url}/koogallery`,
        key: KEY,
        sellerCredentials: [{ ak: 'AK', sk: 'sk-never-logged' }],
      }),
    });
    expect(patch.status).toBe(200);
    const buy = sim.scenario.buy({ productId: 'p', skuCode: 's' });
    await buy.operation.sent;
    expect(buy.operation.view.status).toBe('running');
    sim.close();
    await buy.operation.done;
    expect(buy.operation.view).toMatchObject({
      status: 'failed',
      message: 'the simulator stopped',
    });
    expect(await (await fetch(`${server.url}/other`)).text()).toBe('other routes keep working');
    const logged = lines.join('\n');
    expect(logged).toContain('marketplace simulator configured');
    expect(logged).not.toContain(KEY);
    expect(logged).not.toContain('sk-never-logged');
  });
});
