import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/app/cli.js';
import { openRuntime } from '../../src/app/runtime.js';
import { registerLicenseCommand } from '../../src/licenses/cli.js';
import { createLicenseIssuer, type LicenseRequest } from '../../src/licenses/license-store.js';
import { type LicenseDocument, signLicense } from '../../src/licenses/license-token.js';
import { type LicenseSigningKey, loadOrCreateSigningKey } from '../../src/licenses/signing-key.js';
import type { CliIo } from '../../src/platform/cli-io.js';
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database.js';
import { createIds } from '../../src/platform/ids.js';
import { createSilentLogger } from '../../src/platform/logger.js';
import { createSecretBox } from '../../src/platform/secrets.js';
import { runCommand } from '../products/cli-harness.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { createManualClock } from '../support/fakes/manual-clock.js';

const clock = createManualClock({ start: new Date('2026-11-23T08:00:00.000Z') });
const register = (program: Command, io: CliIo) =>
  registerLicenseCommand(program, { ...io, openRuntime }, { clock });
const day = 86_400_000;

describe('kgd license', () => {
  let testDb: TestDatabase;
  let database: DatabaseHandle;
  let key: LicenseSigningKey;
  let dir: string;
  let env: Record<string, string>;
  const kgd = (...argv: string[]) => runCommand(register, ['license', ...argv], env);

  async function issue(instanceId: string, over: Partial<LicenseRequest> = {}) {
    const issuer = createLicenseIssuer({ db: database.db, key, clock, ids: createIds(clock) });
    return database.db.transaction().execute((tx) =>
      issuer.issue(
        {
          idempotencyKey: `${instanceId}-${randomBytes(4).toString('hex')}`,
          instanceId,
          orderId: 'CS-ORDER-1',
          productId: 'OFFI-DEMO-LICENSE-MONTH',
          skuCode: 'basic',
          customerId: 'cust-1',
          customerName: 'Acme',
          limits: { users: 10 },
          expiresAt: new Date(clock.now().getTime() + 30 * day),
          boundTo: { serverId: 'ecs-1' },
          test: false,
          ...over,
        },
        tx,
      ),
    );
  }

  async function addInstance(id: string) {
    const now = clock.now();
    await database.db
      .insertInto('instances')
      .values({
        id,
        protocol: 'v2',
        status: 'ready',
        status_detail: null,
        test: false,
        trial: false,
        frozen: false,
        order_id: 'CS-ORDER-1',
        order_line_id: null,
        business_id: null,
        product_id: 'OFFI-DEMO-LICENSE-MONTH',
        sku_code: 'basic',
        customer_id: 'cust-1',
        customer_name: 'Acme',
        charging_mode: null,
        period_type: null,
        period_number: null,
        expires_at: null,
        order_params: '{}',
        private_sealed: null,
        app_user: null,
        app_password_sealed: null,
        front_end_url: null,
        admin_url: null,
        memo: null,
        created_at: now,
        updated_at: now,
        ready_at: null,
        released_at: null,
      })
      .execute();
  }

  beforeAll(async () => {
    testDb = await createTestDatabase('kgd_license_cli');
    dir = mkdtempSync(path.join(tmpdir(), 'kgd-license-cli-'));
    const masterKey = randomBytes(32);
    env = {
      DATABASE_URL: testDb.url,
      KGD_MASTER_KEY: masterKey.toString('base64'),
      KGD_MARKETPLACE_KEYS: 'test-marketplace-key-0001',
      KGD_DATA_DIR: path.join(dir, 'data'),
    };
    database = await openDatabase({ url: testDb.url, poolSize: 4, logger: createSilentLogger() });
    key = await loadOrCreateSigningKey({
      db: database.db,
      secretBox: createSecretBox(masterKey),
      clock,
    });
  });

  afterAll(async () => {
    await database?.close();
    await testDb?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("public-key prints the service's key as PEM, the same on every call", async () => {
    const first = await kgd('public-key');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe(key.publicKeyPem);
    expect(first.stdout).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n$/);
    expect(first.stderr).toBe('');
    const json = JSON.parse((await kgd('public-key', '--json')).stdout);
    expect(json.publicKeyPem).toBe(key.publicKeyPem);
    expect(json.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}=$/);
  });

  it('a configuration error names the variable and exits 78', async () => {
    const run = await runCommand(register, ['license', 'public-key'], {
      ...env,
      KGD_MASTER_KEY: undefined,
    });
    expect(run.code).toBe(78);
    expect(run.stderr).toContain('KGD_MASTER_KEY');
  });

  describe('verify', () => {
    let licenseFile: string;
    let token: string;
    beforeAll(async () => {
      await addInstance('inst-verify');
      token = (await issue('inst-verify')).text;
      licenseFile = path.join(dir, 'license.key');
      // As the demo product's template renders it: the token, then a comment.
      writeFileSync(licenseFile, `${token}\n# demo-license for Acme, expires soon\n`);
    });

    it("a valid license, with the service's key: the document, exit 0", async () => {
      const run = await kgd('verify', licenseFile);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^license {5}lic_\w+$/m);
      expect(run.stdout).toContain('instance    inst-verify\n');
      expect(run.stdout).toContain('product     OFFI-DEMO-LICENSE-MONTH (sku basic)\n');
      expect(run.stdout).toContain('licensee    Acme (cust-1)\n');
      expect(run.stdout).toContain('limits      users=10\n');
      expect(run.stdout).toContain('expires     2026-12-23T08:00:00.000Z (30 days left)\n');
      expect(run.stdout).toContain('bound to    server ecs-1\n');
      expect(run.stdout).toContain('status      valid\n');
    });

    it('with --public-key it needs no database; --json; stdin', async () => {
      const pem = path.join(dir, 'license.pub');
      writeFileSync(pem, key.publicKeyPem);
      const run = await runCommand(
        register,
        ['license', 'verify', '-', '--public-key', pem, '--json'],
        {}, // no DATABASE_URL, no data dir: opening the runtime would fail
        `${token}\n`,
      );
      expect(run.code, run.stderr).toBe(0);
      const out = JSON.parse(run.stdout);
      expect(out).toMatchObject({ valid: true, status: 'valid', daysLeft: 30 });
      expect(out.license).toMatchObject({ instanceId: 'inst-verify', limits: { users: 10 } });
    });

    it('expired (by the clock), not yet valid: the document, the reason, exit 1', async () => {
      clock.advance(31 * day);
      try {
        const run = await kgd('verify', licenseFile);
        expect(run.code).toBe(1);
        expect(run.stdout).toContain('status      EXPIRED: expired at 2026-12-23T08:00:00.000Z\n');
        expect(run.stderr).toBe('kgd: license expired: expired at 2026-12-23T08:00:00.000Z\n');
      } finally {
        clock.advance(-31 * day);
      }
      await addInstance('inst-later');
      const later = await issue('inst-later', { notBefore: new Date(clock.now().getTime() + day) });
      writeFileSync(path.join(dir, 'later.key'), later.text);
      const run = await kgd('verify', path.join(dir, 'later.key'), '--json');
      expect(run.code).toBe(1);
      expect(JSON.parse(run.stdout)).toMatchObject({ valid: false, status: 'not-yet-valid' });
    });

    it('tampered, or signed by another key: invalid with the reason, exit 1', async () => {
      const [prefix, payload, signature] = token.split('.') as [string, string, string];
      const doc = JSON.parse(Buffer.from(payload, 'base64url').toString()) as LicenseDocument;
      const forged = Buffer.from(JSON.stringify({ ...doc, limits: { users: 1000 } })).toString(
        'base64url',
      );
      writeFileSync(path.join(dir, 'forged.key'), `${prefix}.${forged}.${signature}`);
      const run = await kgd('verify', path.join(dir, 'forged.key'));
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('status      INVALID: signature does not match the public key\n');
      expect(run.stderr).toBe('kgd: license invalid: signature does not match the public key\n');

      const other = signLicense(doc, generateKeyPairSync('ed25519').privateKey);
      writeFileSync(path.join(dir, 'other.key'), other);
      const json = await kgd('verify', path.join(dir, 'other.key'), '--json');
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout)).toEqual({
        valid: false,
        status: 'invalid',
        reason: 'signature does not match the public key',
        license: null,
      });

      writeFileSync(path.join(dir, 'junk.key'), 'not a license\n');
      expect((await kgd('verify', path.join(dir, 'junk.key'))).stderr).toBe(
        'kgd: license invalid: not a KGD1 license token\n',
      );
    });

    it('unreadable inputs are named', async () => {
      const missing = await kgd('verify', path.join(dir, 'nope.key'));
      expect(missing.code).toBe(1);
      expect(missing.stderr).toBe(`kgd: cannot read ${path.join(dir, 'nope.key')}: ENOENT\n`);
      writeFileSync(path.join(dir, 'bad.pub'), 'not a key');
      const badKey = await kgd('verify', licenseFile, '--public-key', path.join(dir, 'bad.pub'));
      expect(badKey.code).toBe(1);
      expect(badKey.stderr).toContain('--public-key');
      expect(badKey.stderr).toContain('expected a PEM public key');
      expect((await kgd('verify')).code).toBe(2);
    });
  });

  it('is registered in kgd (system clock, no database with --public-key)', async () => {
    const own = generateKeyPairSync('ed25519');
    const now = Date.now();
    const token = signLicense(
      {
        v: 1,
        id: 'lic-registered',
        instanceId: 'inst-1',
        orderId: null,
        productId: null,
        skuCode: null,
        licensee: { customerId: null, customerName: null },
        limits: {},
        issuedAt: new Date(now).toISOString(),
        notBefore: new Date(now - 60_000).toISOString(),
        expiresAt: null,
        boundTo: {},
        test: true,
      },
      own.privateKey,
    );
    writeFileSync(path.join(dir, 'registered.key'), token);
    writeFileSync(
      path.join(dir, 'registered.pub'),
      own.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    );
    let out = '';
    const argv = ['license', 'verify', path.join(dir, 'registered.key')];
    const code = await runCli([...argv, '--public-key', path.join(dir, 'registered.pub')], {
      stdin: process.stdin,
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (out += s) },
      env: {},
    });
    expect(code, out).toBe(0);
    expect(out).toContain('expires     never (perpetual)\n');
    expect(out).toContain('test        yes (seller test order)\n');
  });

  describe('show', () => {
    it("prints the instance's current license, the latest issued", async () => {
      await addInstance('inst-show');
      await issue('inst-show');
      clock.advance(day);
      const renewed = await issue('inst-show', {
        expiresAt: new Date(clock.now().getTime() + 365 * day),
      });
      try {
        const run = await kgd('show', 'inst-show');
        expect(run.code, run.stderr).toBe(0);
        expect(run.stdout).toContain(`license     ${renewed.id}\n`);
        expect(run.stdout).toContain('(365 days left)');
        expect(run.stdout).toContain('status      valid\n');
        expect(run.stdout).toContain('issued for  2 license(s) so far; this is the current one\n');
        expect(run.stdout).toContain(`token       ${renewed.text}\n`);
        const json = JSON.parse((await kgd('show', 'inst-show', '--json')).stdout);
        expect(json).toMatchObject({
          instanceId: 'inst-show',
          valid: true,
          status: 'valid',
          daysLeft: 365,
          token: renewed.text,
          revokedAt: null,
          licensesIssued: 2,
        });
        expect(json.license.id).toBe(renewed.id);
      } finally {
        clock.advance(-day);
      }
    });

    it('a revoked license is shown as revoked, an expired one as expired (exit 0: show informs)', async () => {
      await addInstance('inst-revoked');
      const lic = await issue('inst-revoked');
      await database.db
        .updateTable('licenses')
        .set({ revoked_at: clock.now() })
        .where('id', '=', lic.id)
        .execute();
      const revoked = await kgd('show', 'inst-revoked');
      expect(revoked.code).toBe(0);
      expect(revoked.stdout).toContain(
        'status      REVOKED: revoked at 2026-11-23T08:00:00.000Z\n',
      );

      await addInstance('inst-expired');
      await issue('inst-expired', { expiresAt: new Date(clock.now().getTime() - 1000) });
      const expired = JSON.parse((await kgd('show', 'inst-expired', '--json')).stdout);
      expect(expired).toMatchObject({ valid: false, status: 'expired', daysLeft: 0 });
    });

    it('unknown instance, or none issued yet: exit 3 with the reason', async () => {
      const unknown = await kgd('show', 'inst-nowhere');
      expect(unknown.code).toBe(3);
      expect(unknown.stderr).toBe('kgd: no instance inst-nowhere\n');
      await addInstance('inst-empty');
      const empty = await kgd('show', 'inst-empty');
      expect(empty.code).toBe(3);
      expect(empty.stderr).toBe('kgd: instance inst-empty has no license yet\n');
    });
  });
});
