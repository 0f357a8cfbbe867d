import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertNotice } from '../../src/alerts/notice.js';
import { kgd } from '../operators/support/cli-run.js';
import { startCaptureServer } from '../support/capture-server.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * `kgd alerts …` in-process, as an operator runs it: a test notice reaches the channel named,
 * signed; a sealed secret in the alerts file works and is never printed.
 */
let testDb: TestDatabase;
let dir: string;
let env: Record<string, string>;
let receiver: Awaited<ReturnType<typeof startCaptureServer>>;
const secret = 'whsec-cli-0123456789';

beforeAll(async () => {
  testDb = await createTestDatabase('kgd_alerts_cli');
  dir = mkdtempSync(path.join(tmpdir(), 'kgd-alerts-cli-'));
  receiver = await startCaptureServer((req) => {
    if (req.url.pathname === '/refuse') return { status: 403, body: { error: 'forbidden' } };
    const ts = String(req.headers['x-kgd-timestamp']);
    const expected = `v1=${createHmac('sha256', secret)
      .update(`${ts}.${req.raw.toString('utf8')}`)
      .digest('hex')}`;
    return req.headers['x-kgd-signature'] === expected ? { status: 200 } : { status: 401 };
  });
  env = {
    DATABASE_URL: testDb.url,
    KGD_MASTER_KEY: randomBytes(32).toString('base64'),
    KGD_MARKETPLACE_KEYS: 'alerts-cli-test-key-0001',
    KGD_DATA_DIR: path.join(dir, 'data'),
    KGD_PUBLIC_URL: 'https://deploy.example.com',
  };
});
afterAll(async () => {
  await receiver?.close();
  await testDb?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('kgd alerts', () => {
  it('test --channel sends one signed test notice to that channel only', async () => {
    const run = await kgd(
      {
        ...env,
        KGD_ALERT_WEBHOOK_URL: `${receiver.url}/hook`,
        KGD_ALERT_WEBHOOK_SECRET: secret,
        KGD_ALERT_WECOM_URL: `${receiver.url}/wecom?key=never-used`,
      },
      ['alerts', 'test', '--channel', 'webhook'],
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/delivered to webhook \(webhook\)/);
    expect(receiver.received.map((r) => r.url.pathname)).toEqual(['/hook']);
    const notice = receiver.received[0]!.json as AlertNotice;
    expect(notice).toMatchObject({ test: true, event: 'firing', kind: 'deployment-failed' });
    expect(notice.source).toBe('https://deploy.example.com');
  });

  it('a refused test notice exits 1 with the reason; an unknown channel exits 3', async () => {
    const refused = await kgd({ ...env, KGD_ALERT_WEBHOOK_URL: `${receiver.url}/refuse` }, [
      'alerts',
      'test',
      '--channel',
      'webhook',
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/not delivered: channel webhook: HTTP 403/);
    const unknown = await kgd(env, ['alerts', 'test', '--channel', 'pager']);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/no channel pager: configured are none/);
  });

  it('seal makes a secret for the alerts file; channels lists names and severities, never secrets', async () => {
    const sealed = await kgd(env, ['alerts', 'seal'], { stdin: `${secret}\n` });
    expect(sealed.code).toBe(0);
    const value = sealed.stdout.trim();
    expect(value).toMatch(/^kgd1\./);
    expect(value).not.toContain(secret);
    const file = path.join(dir, 'alerts.yaml');
    writeFileSync(
      file,
      [
        'channels:',
        '  - name: oncall',
        '    type: webhook',
        `    url: ${receiver.url}/hook`,
        `    secret: ${value}`,
        '    severities: [critical]',
      ].join('\n'),
    );
    const withFile = { ...env, KGD_ALERTS_FILE: file };
    const channels = await kgd(withFile, ['alerts', 'channels']);
    expect(channels.stdout).toMatch(/oncall\s+webhook\s+critical/);
    expect(channels.stdout + channels.stderr).not.toContain(secret);
    const before = receiver.received.length;
    const sent = await kgd(withFile, ['alerts', 'test', '--channel', 'oncall']);
    expect(sent.code).toBe(0);
    // The receiver verified the signature made with the unsealed secret (it answers 401 otherwise).
    expect(receiver.received.length).toBe(before + 1);
  });

  it('a bad alerts file stops with a message naming the entry (exit 78)', async () => {
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'channels:\n  - name: x\n    type: pager\n');
    const run = await kgd({ ...env, KGD_ALERTS_FILE: file }, ['alerts', 'channels']);
    expect(run.code).toBe(78);
    expect(run.stderr).toMatch(/KGD_ALERTS_FILE \(.*bad\.yaml\): channels\.0\.type/);
  });

  it('list shows nothing open on a fresh database; kinds names every alert with its runbook', async () => {
    const list = await kgd(env, ['alerts', 'list']);
    expect(list.stdout).toBe('no open alerts\n');
    const kinds = await kgd(env, ['alerts', 'kinds', '--json']);
    const parsed = JSON.parse(kinds.stdout) as Record<
      string,
      { severity: string; runbook: string }
    >;
    expect(Object.keys(parsed)).toEqual([
      'deployment-late',
      'deployment-failed',
      'cleanup-failed',
      'probe-failing',
      'license-upload-failing',
      'buyer-access-lost',
      'cloud-quota-nearly-exhausted',
      'certificate-expiring',
      'marketplace-key-expiring',
      'replica-lost',
    ]);
    for (const k of Object.values(parsed)) expect(k.runbook.length).toBeGreaterThan(20);
  });
});
