import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyToken } from '../../src/operators/auth/tokens.js';
import { systemClock } from '../../src/platform/clock.js';
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database.js';
import { createSilentLogger } from '../../src/platform/logger.js';
import { createSecretBox } from '../../src/platform/secrets.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { kgd } from './support/cli-run.js';
import { seedInbox, seedInstance, seedLog, seedOperation } from './support/seed.js';

let testDb: TestDatabase;
let database: DatabaseHandle;
let dir: string;
let env: Record<string, string>;
const masterKey = randomBytes(32);
const box = createSecretBox(masterKey);
const run = (...argv: string[]) => kgd(env, argv);
const me = `cli:${userInfo().username}`;

beforeAll(async () => {
  testDb = await createTestDatabase('kgd_ops_cli');
  dir = mkdtempSync(path.join(tmpdir(), 'kgd-ops-cli-'));
  env = {
    DATABASE_URL: testDb.url,
    KGD_MASTER_KEY: masterKey.toString('base64'),
    KGD_MARKETPLACE_KEYS: 'ops-cli-test-key-0001',
    KGD_DATA_DIR: path.join(dir, 'data'),
    KGD_TEMPLATES_DIR: path.resolve('templates'),
  };
  database = await openDatabase({ url: testDb.url, poolSize: 4, logger: createSilentLogger() });
  const db = database.db;
  await seedInstance(db, 'kgi-ready-1', {
    status: 'ready',
    server_id: 'srv-1',
    flavor: 's6.small.1',
    az: 'cn-north-4a',
    ready_at: new Date('2026-03-01T03:05:00Z'),
  });
  await seedOperation(db, 'op_ready-1', 'kgi-ready-1', { status: 'succeeded' });
  await seedInstance(db, 'kgi-failed-1', {
    status: 'failed',
    status_detail: 'no capacity for any choice',
    customer_id: 'cust-2',
    customer_name: 'Globex',
    created_at: new Date('2026-03-02T03:00:00Z'),
  });
  await seedOperation(db, 'op_failed-1', 'kgi-failed-1', {
    status: 'failed',
    failed_step: 'create-server',
    error: JSON.stringify({ name: 'DeploymentFailure', message: 'no capacity for any choice' }),
  });
  await seedLog(db, 'op_failed-1', 'kgi-failed-1', 'plan: s6.small.1 in cn-north-4a', {
    step: 'plan',
  });
  await seedLog(db, 'op_failed-1', 'kgi-failed-1', 'create-server: sold out', {
    step: 'create-server',
    level: 'error',
  });
  await seedInstance(db, 'kgi-other-product', {
    status: 'deploying',
    product_name: 'demo-image',
    product_id: 'OFFI-DEMO-IMAGE',
    created_at: new Date('2026-03-03T03:00:00Z'),
  });
  await seedInbox(db, box, { instanceId: 'kgi-ready-1' });
  await seedInbox(db, box, { activity: 'releaseInstance', resultCode: '000003' });
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('kgd deployments', () => {
  it('list: a table with counts by status, filters and --json', async () => {
    const all = await run('deployments', 'list');
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/^3 deployment\(s\): deploying 1, ready 1, failed 1/);
    expect(all.stdout).toMatch(/ID\s+STATUS\s+PRODUCT/);
    // Newest first.
    expect(all.stdout.indexOf('kgi-other-product')).toBeLessThan(all.stdout.indexOf('kgi-ready-1'));
    expect(all.stdout).toContain('deploy failed at create-server');

    const failed = JSON.parse(
      (await run('deployments', 'list', '--status', 'failed', '--json')).stdout,
    );
    expect(failed.items.map((d: { id: string }) => d.id)).toEqual(['kgi-failed-1']);
    expect(failed.counts).toEqual({ ready: 1, failed: 1, deploying: 1 });
    expect(failed.items[0].latestOperation).toMatchObject({
      id: 'op_failed-1',
      kind: 'deploy',
      status: 'failed',
      failedStep: 'create-server',
    });

    const byProduct = JSON.parse(
      (await run('d', 'ls', '--product', 'demo-image', '--json')).stdout,
    );
    expect(byProduct.items.map((d: { id: string }) => d.id)).toEqual(['kgi-other-product']);
    const byCustomer = JSON.parse((await run('d', 'ls', '--customer', 'glob', '--json')).stdout);
    expect(byCustomer.items.map((d: { id: string }) => d.id)).toEqual(['kgi-failed-1']);
    const since = JSON.parse(
      (await run('d', 'ls', '--since', '2026-03-02T00:00:00Z', '--json')).stdout,
    );
    expect(since.total).toBe(2);
  });

  it('list: bad filters name the flag and exit 2', async () => {
    const bad = await run('deployments', 'list', '--status', 'broken');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('status: broken is not one of pending, deploying');
    const since = await run('deployments', 'list', '--since', 'yesterday');
    expect(since.code).toBe(2);
    expect(since.stderr).toContain('since: expected an ISO date');
    const flag = await run('deployments', 'list', '--no-such-flag');
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("unknown option '--no-such-flag'");
  });

  it('show: operations, error, failed step and log tail; by instance or operation id', async () => {
    const shown = await run('deployments', 'show', 'kgi-failed-1');
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('Deployment kgi-failed-1: failed');
    expect(shown.stdout).toContain('no capacity for any choice');
    expect(shown.stdout).toContain('Operation op_failed-1: deploy failed at create-server');
    expect(shown.stdout).toMatch(/error\s+create-server\s+create-server: sold out/);
    const json = JSON.parse((await run('deployments', 'show', 'op_failed-1', '--json')).stdout);
    expect(json.deployment.id).toBe('kgi-failed-1');
    expect(json.operations[0]).toMatchObject({ id: 'op_failed-1', failedStep: 'create-server' });
    expect(json.logTail.map((l: { message: string }) => l.message)).toEqual([
      'plan: s6.small.1 in cn-north-4a',
      'create-server: sold out',
    ]);
  });

  it('unknown ids exit 3 with the id in the message', async () => {
    const show = await run('deployments', 'show', 'kgi-nope');
    expect(show.code).toBe(3);
    expect(show.stderr).toContain('no deployment or operation kgi-nope');
    const logs = await run('deployments', 'logs', 'op_nope');
    expect(logs.code).toBe(3);
    const rerun = await run('deployments', 'rerun', 'kgi-nope', '--reason', 'x');
    expect(rerun.code).toBe(3);
  });

  it('logs: every line of the deployment, --after and JSON Lines; -f ends when nothing runs', async () => {
    const logs = await run('deployments', 'logs', 'kgi-failed-1');
    expect(logs.code).toBe(0);
    expect(logs.stdout.trim().split('\n')).toHaveLength(2);
    const lines = (await run('deployments', 'logs', 'kgi-failed-1', '--json')).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const after = await run('deployments', 'logs', 'kgi-failed-1', '--after', lines[0].id);
    expect(after.stdout).toContain('sold out');
    expect(after.stdout).not.toContain('plan: s6.small.1');
    const follow = await run('deployments', 'logs', 'kgi-failed-1', '--follow');
    expect(follow.code).toBe(0);
    expect(follow.stdout.trim().split('\n')).toHaveLength(2);
  });

  it('actions need a reason (exit 2) and refuse what cannot be done (exit 4), audited', async () => {
    const noReason = await run('deployments', 'rerun', 'kgi-failed-1');
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain("required option '--reason <text>'");
    const badPort = await run(
      'deployments',
      'rerun',
      'kgi-failed-1',
      '--reason',
      'x',
      '--ssh-port',
      '0',
    );
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain('--ssh-port');
    const refused = await run('deployments', 'rerun', 'kgi-ready-1', '--reason', 'try it');
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('op_ready-1 is succeeded');
    const cancel = await run('deployments', 'cancel', 'kgi-ready-1', '--reason', 'stop it');
    expect(cancel.code).toBe(4);
    const audit = JSON.parse(
      (await run('audit', 'list', '--target', 'kgi-ready-1', '--json')).stdout,
    );
    expect(audit.map((a: { action: string }) => a.action)).toEqual([
      'deployment.cancel',
      'deployment.rerun',
    ]);
    expect(audit[1]).toMatchObject({
      actor: me,
      reason: 'try it',
      result: 'refused',
      before: {
        instance: { status: 'ready' },
        operation: { id: 'op_ready-1', status: 'succeeded' },
      },
    });
  });
});

describe('kgd inbox', () => {
  it('list, filter and show with the answer (password redacted)', async () => {
    const list = await run('inbox', 'list');
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/releaseInstance\s+000003/);
    const failed = JSON.parse((await run('inbox', 'list', '--result', 'failed', '--json')).stdout);
    expect(failed.map((r: { activity: string }) => r.activity)).toEqual(['releaseInstance']);
    const id = JSON.parse(
      (await run('inbox', 'list', '--instance', 'kgi-ready-1', '--json')).stdout,
    )[0].id;
    const shown = JSON.parse((await run('inbox', 'show', id, '--json')).stdout);
    expect(shown.answer.appInfo.password).toBe('[encrypted]');
    expect((await run('inbox', 'show', id)).stdout).not.toContain('cipher');
    expect((await run('inbox', 'show', '999999')).code).toBe(3);
    expect((await run('inbox', 'show', 'abc')).code).toBe(2);
  });

  it('replay says clearly when no service answers, and is audited as failed', async () => {
    const id = JSON.parse((await run('inbox', 'list', '--json')).stdout)[0].id;
    const r = await run(
      'inbox',
      'replay',
      id,
      '--reason',
      'check',
      '--url',
      'http://127.0.0.1:9/p',
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot reach the gateway at http://127.0.0.1:9/p');
    const audit = JSON.parse(
      (await run('audit', 'list', '--action', 'inbox.replay', '--json')).stdout,
    );
    expect(audit[0]).toMatchObject({ target: `inbox:${id}`, result: 'failed', actor: me });
  });
});

describe('kgd tokens', () => {
  it('creates a token printed once (hash stored), lists and revokes it', async () => {
    const created = await run('tokens', 'create', '--name', 'ops-alice', '--scope', 'operate');
    expect(created.code, created.stderr).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^kgd_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    const stored = await database.db.selectFrom('admin_tokens').selectAll().execute();
    expect(JSON.stringify(stored)).not.toContain(token.split('_').at(-1));
    expect(await verifyToken(database.db, systemClock, token)).toMatchObject({
      name: 'ops-alice',
      scope: 'operate',
    });
    const dup = await run('tokens', 'create', '--name', 'ops-alice', '--scope', 'read');
    expect(dup.code).toBe(2);
    const badScope = await run('tokens', 'create', '--name', 'x', '--scope', 'admin');
    expect(badScope.code).toBe(2);
    expect(badScope.stderr).toContain('scope: expected read or operate');
    const list = await run('tokens', 'list');
    expect(list.stdout).toMatch(/ops-alice\s+operate/);
    expect(list.stdout).not.toContain(token);
    expect((await run('tokens', 'revoke', 'ops-alice')).code).toBe(0);
    expect(await verifyToken(database.db, systemClock, token)).toBeUndefined();
    expect((await run('tokens', 'revoke', 'nobody')).code).toBe(3);
  });

  it('a token with --expires-in is refused once expired; a bad duration changes nothing', async () => {
    const bad = await run(
      'tokens',
      'create',
      '--name',
      'tmp',
      '--scope',
      'read',
      '--expires-in',
      '3 weeks',
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--expires-in: expected a duration such as 90d, 12h or 30m');
    const created = await run(
      'tokens',
      'create',
      '--name',
      'ci-bot',
      '--scope',
      'read',
      '--expires-in',
      '90d',
      '--json',
    );
    expect(created.code, created.stderr).toBe(0);
    const { token, expiresAt } = JSON.parse(created.stdout);
    const days = (new Date(expiresAt).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(89.9);
    expect(days).toBeLessThanOrEqual(90);
    const listed = JSON.parse((await run('tokens', 'list', '--json')).stdout);
    expect(listed.find((t: { name: string }) => t.name === 'ci-bot').expiresAt).toBe(expiresAt);
    expect(listed.some((t: { name: string }) => t.name === 'tmp')).toBe(false);
    expect(await verifyToken(database.db, systemClock, token)).toMatchObject({ name: 'ci-bot' });
    const later = { now: () => new Date(Date.now() + 91 * 86_400_000), sleep: systemClock.sleep };
    expect(await verifyToken(database.db, later, token)).toBeUndefined();
  });
});

describe('kgd config check', () => {
  it('passes on a good configuration and hides secrets', async () => {
    const r = await run('config', 'check');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/templates\s+ok\s+demo-image@/);
    expect(r.stdout).toMatch(/database\s+ok/);
    expect(r.stdout).toContain('KGD_MASTER_KEY=(set, hidden)');
    expect(r.stdout).not.toContain(masterKey.toString('base64'));
  });

  it('warns when replicas sharing a database would hand buyers their own addresses', async () => {
    const unset = JSON.parse((await run('config', 'check', '--json')).stdout);
    const check = (out: { checks: { name: string; status: string }[] }) =>
      out.checks.find((c) => c.name === 'public URL')?.status;
    expect(check(unset)).toBe('warn');
    const set = await kgd({ ...env, KGD_PUBLIC_URL: 'https://deploy.example.com' }, [
      'config',
      'check',
      '--json',
    ]);
    expect(check(JSON.parse(set.stdout))).toBe('ok');
  });

  it('exits 78 naming the bad variable or the failed check', async () => {
    const bad = await kgd({ ...env, KGD_PORT: 'eighty' }, ['config', 'check']);
    expect(bad.code).toBe(78);
    expect(bad.stderr).toContain('KGD_PORT');
    const noDb = await kgd({ ...env, DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/none' }, [
      'config',
      'check',
      '--json',
    ]);
    expect(noDb.code).toBe(78);
    const out = JSON.parse(noDb.stdout);
    expect(out.ok).toBe(false);
    expect(out.checks.find((c: { name: string }) => c.name === 'database').status).toBe('fail');
  });
});

describe('commands of other features, registered in kgd', () => {
  it('kgd templates check and kgd license public-key answer through runCli', async () => {
    const templates = await run('templates', 'check');
    expect(templates.code, templates.stderr).toBe(0);
    const key = await run('license', 'public-key');
    expect(key.code, key.stderr).toBe(0);
    expect(key.stdout).toContain('-----BEGIN PUBLIC KEY-----');
  });

  it('kgd --help lists the operator commands', async () => {
    const help = await run('--help');
    expect(help.code).toBe(0);
    for (const c of [
      'deployments',
      'inbox',
      'sweep',
      'tokens',
      'audit',
      'config',
      'license',
      'templates',
    ])
      expect(help.stdout).toContain(c);
  });
});

describe('kgd sweep', () => {
  it('without cloud credentials says where the sweep works instead (exit 78)', async () => {
    const r = await run('sweep');
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('/dashboard/sweep');
  });

  it('--delete from a script needs --yes (exit 2)', async () => {
    const r = await run('sweep', '--delete');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--yes');
  });
});
