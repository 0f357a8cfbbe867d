import { describe, expect, it } from 'vitest';
import { marketplaceRetryWindows, retryWindowEnds } from './retry-windows.js';

const hours = (family: keyof typeof marketplaceRetryWindows) =>
  marketplaceRetryWindows[family].windowMs / 3_600_000;

describe('marketplace retry windows (spec §10)', () => {
  it('3 h for V1 purchase and upgrade, 1 h for renew / expire / release', () => {
    expect([hours('purchase'), hours('upgrade')]).toEqual([3, 3]);
    expect([hours('renewal'), hours('expiry'), hours('release')]).toEqual([1, 1, 1]);
  });

  it('2 h for the online-License calls, every 2 min for a purchase', () => {
    expect([hours('onlineLicensePurchase'), hours('onlineLicenseLifecycle')]).toEqual([2, 2]);
    expect(marketplaceRetryWindows.onlineLicensePurchase.intervalMs).toBe(120_000);
  });

  it('60 tries every 2 min for license codes: the 60th starts 118 min after the first', () => {
    const w = marketplaceRetryWindows.licenseCode;
    expect(w.intervalMs).toBe(120_000);
    expect(w.windowMs / w.intervalMs! + 1).toBe(60);
  });

  it('gives the instant the resends stop', () => {
    expect(retryWindowEnds('purchase', new Date('2026-11-23T08:00:00.000Z')).toISOString()).toBe(
      '2026-11-23T11:00:00.000Z',
    );
    expect(retryWindowEnds('release', new Date('2026-11-23T08:00:00.000Z')).toISOString()).toBe(
      '2026-11-23T09:00:00.000Z',
    );
  });
});
