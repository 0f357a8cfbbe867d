import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ServerType, serve } from '@hono/node-server';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../src/operators/auth/tokens.js';
import { systemClock } from '../../src/platform/clock.js';
import { createEngineHarness, type EngineHarness } from '../support/engine-harness.js';

/**
 * The dashboard in real headless Chromium, over real HTTP, against the real engine (DBOS,
 * PostgreSQL, the cloud simulator with SSH machines): log in with a token, open a failed
 * deployment, click Rerun, confirm with another flavor, and watch it become ready through the
 * live updates, without reloading. Leaves a screenshot of the deployments page (a failed and a
 * rerun deployment); with KGD_DASHBOARD_SCREENSHOT=<file> it is written there (docs/dashboard.png).
 */
const chromiumPath = process.env.KGD_CHROMIUM ?? '/usr/bin/chromium';
const flavors = ['s6.small.1', 's6.medium.2'];
const zones = ['cn-north-4a', 'cn-north-4b', 'cn-north-4c'];

let h: EngineHarness;
let server: ServerType;
let browser: Browser;
let page: Page;
let base: string;
let token: string;
let shots: string;

beforeAll(async () => {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `Chromium not found at ${chromiumPath}: apt-get install chromium (.ci/run does), or set KGD_CHROMIUM`,
    );
  }
  h = await createEngineHarness();
  // The service's own app, as `kgd serve` mounts it: gateway, admin API, dashboard.
  server = serve({ fetch: h.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  token = (
    await createToken(h.database.db, systemClock, {
      name: 'ops-alice',
      scope: 'operate',
      createdBy: 'test',
    })
  ).token;
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  shots = mkdtempSync(path.join(tmpdir(), 'kgd-dashboard-'));
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  (server as unknown as { closeAllConnections?: () => void })?.closeAllConnections?.();
  await h?.close();
  if (shots) rmSync(shots, { recursive: true, force: true });
});

describe('dashboard in Chromium', () => {
  it('opens a failed deployment, reruns it with another flavor, and watches it become ready', async () => {
    for (const az of zones) for (const flavor of flavors) h.sim.faults.soldOut({ az, flavor });
    const rerun = await h.buy({ customerName: 'Acme Buyer' });
    const other = await h.buy({ customerName: 'Globex' });
    await h.waitForStatus(rerun, 'failed');
    await h.waitForStatus(other, 'failed');

    await page.goto(`${base}/dashboard`);
    expect(new URL(page.url()).pathname).toBe('/dashboard/login');
    await page.fill('#token', 'kgd_000000000000_wrongwrongwrongwrongwrongwrongwrongwro');
    await page.click('#login');
    await page.locator('.problem', { hasText: 'not valid' }).waitFor();
    await page.fill('#token', token);
    await page.click('#login');
    await page.waitForURL(`${base}/dashboard`);
    await page
      .locator(`tr[data-deployment="${rerun}"] .badge`, { hasText: 'failed' })
      .first()
      .waitFor();
    expect(await page.locator('[data-status-count="failed"]').innerText()).toContain('2');

    await page.click(`a[href="/dashboard/d/${rerun}"]`);
    await page.locator('h1 .badge', { hasText: 'failed' }).waitFor();
    await page.locator('[data-step-status="failed"]').first().waitFor();
    expect(await page.locator('.problem').first().innerText()).toContain('no capacity');
    await page.locator('.live', { hasText: 'live' }).waitFor();

    await page.click('#rerun');
    await page.locator('#confirm').waitFor();
    // The confirmation refuses an empty reason (required) before anything happens.
    await page.click('#confirm');
    expect(new URL(page.url()).pathname).toBe(`/dashboard/d/${rerun}/rerun`);
    await page.fill('#flavor', 's6.large.2');
    await page.fill('#reason', 'sold out everywhere: larger flavor');
    await page.click('#confirm');
    await page.waitForURL((u) => u.pathname === `/dashboard/d/${rerun}`);
    await page.locator('.flash', { hasText: 'Rerun started from plan' }).waitFor();

    // No reload from here on: the page follows the rerun over SSE until the deployment is ready.
    await page.locator('h1 .badge', { hasText: 'ready' }).waitFor({ timeout: 90_000 });
    await page.locator('[data-step="health-check"][data-step-status="ok"]').waitFor();
    expect((await h.instance(rerun)).flavor).toBe('s6.large.2');
    expect(await page.locator('#log').innerText()).toContain('rerun from plan by ops-alice');

    await page.click('header a[href="/dashboard/audit"]');
    const row = page.locator('#audit tbody tr').first();
    await row.waitFor();
    const text = await row.innerText();
    expect(text).toContain('ops-alice');
    expect(text).toContain('deployment.rerun');
    expect(text).toContain('sold out everywhere: larger flavor');
    expect(text).toContain('failed / deploy failed → deploying / deploy running');

    await page.goto(`${base}/dashboard`);
    await page
      .locator(`tr[data-deployment="${rerun}"] .badge`, { hasText: 'ready' })
      .first()
      .waitFor();
    await page
      .locator(`tr[data-deployment="${other}"] .badge`, { hasText: 'failed' })
      .first()
      .waitFor();
    const shot = path.join(shots, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    const keep = process.env.KGD_DASHBOARD_SCREENSHOT;
    if (keep) {
      mkdirSync(path.dirname(path.resolve(keep)), { recursive: true });
      await page.screenshot({ path: keep, fullPage: true });
    }
  });
});
