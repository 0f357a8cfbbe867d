import { describe, expect, it } from 'vitest';
import { imageIdFor, parseHuaweiCloudSettings } from './huawei-settings.js';

const valid = {
  region: 'cn-north-4',
  projectId: '0123456789abcdef0123456789abcdef',
  ak: 'AKEXAMPLE',
  sk: 'sk-super-secret-value',
};

describe('parseHuaweiCloudSettings', () => {
  it('fills defaults', () => {
    const s = parseHuaweiCloudSettings({ ...valid, endpoint: 'http://127.0.0.1:9/' });
    expect(s.endpoint).toBe('http://127.0.0.1:9');
    expect(s.timeoutMs).toBe(30_000);
    expect(s.retry.attempts).toBeGreaterThan(1);
  });

  it('names every bad field and never echoes the secret', () => {
    const err = (() => {
      try {
        parseHuaweiCloudSettings({
          ...valid,
          region: 'Beijing',
          projectId: 'p',
          sk: '',
          endpoint: 'ftp://x',
        });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.message).toMatch(/cloud\.region/);
    expect(err?.message).toMatch(/cloud\.projectId/);
    expect(err?.message).toMatch(/cloud\.sk/);
    expect(err?.message).toMatch(/cloud\.endpoint/);
    const withSecret = (() => {
      try {
        parseHuaweiCloudSettings({ ...valid, projectId: 'nope' });
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(withSecret).not.toContain(valid.sk);
  });

  it('resolves the per-region image or says which setting to fill', () => {
    const s = parseHuaweiCloudSettings({ ...valid, imageIds: { 'cn-north-4': 'img-1' } });
    expect(imageIdFor(s)).toBe('img-1');
    expect(() => imageIdFor(s, 'ap-southeast-1')).toThrow(/cloud\.imageIds\.ap-southeast-1/);
  });
});
