import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const problems = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('configuration', () => {
  it('has working defaults for the embedded mode', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      producePath: '/koogallery/produce',
      publicUrl: 'http://127.0.0.1:8080',
      databaseUrl: undefined,
      encryptType: 1,
      v1MaxSkewMs: 300_000,
      v2MaxSkewMs: 60_000,
    });
    expect(c.dataDir).toBe(path.resolve('.kgd'));
  });

  it('parses every documented variable', () => {
    const key = Buffer.alloc(32, 7);
    const c = loadConfig({
      KGD_PORT: '9000',
      KGD_PUBLIC_URL: 'https://deploy.example.com/',
      KGD_MARKETPLACE_KEYS: 'k-one-000001, k-two-000002',
      DATABASE_URL: 'postgresql://u@db/kgd',
      KGD_MASTER_KEY: key.toString('hex'),
      KGD_ENCRYPT_TYPE: '2',
      KGD_CLOUD_AK: 'AK',
      KGD_CLOUD_SK: 'SK',
      KGD_MARKETPLACE_API_SITE: 'intl',
    });
    expect(c.publicUrl).toBe('https://deploy.example.com');
    expect(c.marketplaceKeys).toEqual(['k-one-000001', 'k-two-000002']);
    expect(c.masterKey?.equals(key)).toBe(true);
    expect(c.encryptType).toBe(2);
    expect(c.marketplaceApiUrl).toBe('https://mkt-intl.myhuaweicloud.com');
    // The documented hosts per site (spec §2.6, §9).
    const site = (s: string) => loadConfig({ KGD_MARKETPLACE_API_SITE: s }).marketplaceApiUrl;
    expect(site('cn')).toBe('https://mkt.myhuaweicloud.com');
    expect(site('eu')).toBe('https://mkt.myhuaweicloud.eu');
  });

  it('names each bad variable and what it expects, all at once', () => {
    const p = problems({
      KGD_PORT: 'eighty',
      KGD_PUBLIC_URL: 'ftp://x',
      KGD_ENCRYPT_TYPE: '3',
      KGD_MASTER_KEY: 'short',
      KGD_LOG_LEVEL: 'loud',
      KGD_ANSWER_DEADLINE_MS: '6000',
    });
    expect(p.join('\n')).toMatch(/KGD_PORT: expected a TCP port number/);
    expect(p.join('\n')).toMatch(/KGD_PUBLIC_URL: expected an http\(s\) URL/);
    expect(p.join('\n')).toMatch(/KGD_ENCRYPT_TYPE: expected 1 \(AES-256\) or 2 \(AES-128\)/);
    expect(p.join('\n')).toMatch(/KGD_MASTER_KEY: expected 32 random bytes/);
    expect(p.join('\n')).toMatch(/KGD_LOG_LEVEL/);
    expect(p.join('\n')).toMatch(/KGD_ANSWER_DEADLINE_MS: expected milliseconds below 5000/);
  });

  it('takes the TLS pair together, serving https on the default public URL', () => {
    expect(problems({ KGD_TLS_CERT: 'cert.pem' }).join()).toMatch(/KGD_TLS_KEY: set both/);
    expect(problems({ KGD_TLS_KEY: 'key.pem' }).join()).toMatch(/KGD_TLS_CERT: set both/);
    const c = loadConfig({ KGD_TLS_CERT: 'cert.pem', KGD_TLS_KEY: 'key.pem', KGD_PORT: '8443' });
    expect(c.tls).toEqual({ certFile: path.resolve('cert.pem'), keyFile: path.resolve('key.pem') });
    expect(c.publicUrl).toBe('https://127.0.0.1:8443');
    expect(loadConfig({}).tls).toBeUndefined();
  });

  it('takes templates from the setting, else ./templates, else the shipped samples', () => {
    expect(loadConfig({ KGD_TEMPLATES_DIR: 'x/y' }).templatesDir).toBe(path.resolve('x/y'));
    // The tests run in the repository: ./templates exists.
    expect(loadConfig({}).templatesDir).toBe(path.resolve('templates'));
    const elsewhere = mkdtempSync(path.join(tmpdir(), 'kgd-no-templates-'));
    const cwd = process.cwd();
    try {
      process.chdir(elsewhere);
      expect(loadConfig({}).templatesDir).toBe(path.resolve(cwd, 'templates'));
    } finally {
      process.chdir(cwd);
      rmSync(elsewhere, { recursive: true });
    }
  });

  it('requires shared keys when running on a shared database', () => {
    const p = problems({ DATABASE_URL: 'postgres://db/kgd' });
    expect(p.join('\n')).toMatch(/KGD_MASTER_KEY: required when DATABASE_URL is set/);
    expect(p.join('\n')).toMatch(/KGD_MARKETPLACE_KEYS: required when DATABASE_URL is set/);
    expect(problems({ KGD_CLOUD_AK: 'x' }).join()).toMatch(/KGD_CLOUD_SK: set both/);
  });

  it('reads a YAML file, the environment winning, and refuses unknown settings', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kgd-config-'));
    const file = path.join(dir, 'kgd.yaml');
    writeFileSync(file, 'KGD_PORT: 9100\nKGD_MARKETPLACE_KEYS: [a-key-000001, b-key-000002]\n');
    expect(loadConfig({ KGD_CONFIG_FILE: file }).marketplaceKeys).toEqual([
      'a-key-000001',
      'b-key-000002',
    ]);
    expect(loadConfig({ KGD_CONFIG_FILE: file, KGD_PORT: '9200' }).port).toBe(9200);
    writeFileSync(file, 'KGD_PORTT: 1\n');
    expect(problems({ KGD_CONFIG_FILE: file })[0]).toMatch(
      /KGD_PORTT \(in .*kgd.yaml\): unknown setting/,
    );
    writeFileSync(file, 'KGD_PORT: nope\n');
    expect(problems({ KGD_CONFIG_FILE: file })[0]).toMatch(
      /KGD_PORT \(from .*kgd.yaml\): expected a TCP port/,
    );
    expect(problems({ KGD_CONFIG_FILE: path.join(dir, 'missing.yaml') })[0]).toMatch(
      /KGD_CONFIG_FILE: cannot read/,
    );
  });

  it('turns tracing on with an OTLP endpoint only, and off again with the SDK switches', () => {
    expect(loadConfig({}).tracing.tracesUrl).toBeUndefined();
    const base = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' };
    expect(loadConfig(base).tracing).toEqual({
      tracesUrl: 'http://collector:4318/v1/traces',
      serviceName: 'koogallery-deployer',
    });
    expect(
      loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://apm:4318/custom/traces' }).tracing
        .tracesUrl,
    ).toBe('http://apm:4318/custom/traces');
    expect(loadConfig({ ...base, OTEL_SDK_DISABLED: 'true' }).tracing.tracesUrl).toBeUndefined();
    expect(loadConfig({ ...base, OTEL_TRACES_EXPORTER: 'none' }).tracing.tracesUrl).toBeUndefined();
    expect(problems({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })[0]).toMatch(
      /^OTEL_EXPORTER_OTLP_ENDPOINT: expected an http\(s\) URL/,
    );
  });

  it('takes the quota alert threshold as a percentage', () => {
    expect(loadConfig({}).alerts.quotaRatio).toBe(0.8);
    expect(loadConfig({ KGD_ALERT_QUOTA_PERCENT: '95' }).alerts.quotaRatio).toBe(0.95);
    expect(problems({ KGD_ALERT_QUOTA_PERCENT: '120' })[0]).toMatch(/^KGD_ALERT_QUOTA_PERCENT:/);
  });
});
