import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorHost } from '../../src/app/operator-host.js';
import { openRuntime } from '../../src/app/runtime.js';
import { createInstanceSecrets } from '../../src/deployments/model/instance-secrets.js';
import { registerLicenseCommand } from '../../src/licenses/cli.js';
import { createLicenseIssuer } from '../../src/licenses/license-store.js';
import { loadOrCreateSigningKey } from '../../src/licenses/signing-key.js';
import { registerKeysCommand } from '../../src/operators/cli/cmd-keys.js';
import type { CliIo } from '../../src/platform/cli-io.js';
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database.js';
import { createIds } from '../../src/platform/ids.js';
import { createSecretScrubber, createSilentLogger } from '../../src/platform/logger.js';
import { createSecretBox } from '../../src/platform/secrets.js';
import { runCommand } from '../products/cli-harness.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { createManualClock } from '../support/fakes/manual-clock.js';
import { insertInstanceRow } from '../support/store-rows.js';

const clock = createManualClock({ start: new Date('2026-11-23T08:00:00.000Z') });
const register = (program: Command, io: CliIo) => {
  registerLicenseCommand(program, { ...io, openRuntime }, { clock });
  registerKeysCommand(program, { ...io, host: operatorHost });
};

describe('key rotation', () => {
  let testDb: TestDatabase;
  let database: DatabaseHandle;
  let dir: string;
  const oldMaster = randomBytes(32);
  const newMaster = randomBytes(32);
  const base = () => ({
    DATABASE_URL: testDb.url,
    KGD_MARKETPLACE_KEYS: 'test-marketplace-key-0001',
    KGD_DATA_DIR: path.join(dir, 'data'),
  });
  const onOld = () => ({ ...base(), KGD_MASTER_KEY: oldMaster.toString('base64') });
  const rotating = () => ({
    ...base(),
    KGD_MASTER_KEY: newMaster.toString('hex'),
    KGD_MASTER_KEY_PREVIOUS: oldMaster.toString('base64'),
  });
  const kgd = (env: Record<string, string>, ...argv: string[]) => runCommand(register, argv, env);

  async function issueWithCurrentKey(instanceId: string, masterKey: Buffer) {
    const key = await loadOrCreateSigningKey({
      db: database.db,
      secretBox: createSecretBox(masterKey),
      clock,
    });
    const issuer = createLicenseIssuer({ db: database.db, key, clock, ids: createIds(clock) });
    const license = await issuer.issue({
      idempotencyKey: `${instanceId}-${randomBytes(4).toString('hex')}`,
      instanceId,
      orderId: 'CS-ORDER-1',
      productId: 'OFFI-DEMO-LICENSE-MONTH',
      skuCode: 'basic',
      customerId: 'cust-1',
      customerName: 'Acme',
      limits: { users: 10 },
      expiresAt: new Date(clock.now().getTime() + 30 * 86_400_000),
      boundTo: { serverId: 'ecs-1' },
      test: false,
    });
    const file = path.join(dir, `${license.id}.lic`);
    writeFileSync(file, `${license.text}\n`);
    return { kid: key.kid, file, license };
  }

  beforeAll(async () => {
    testDb = await createTestDatabase('kgd_keys');
    dir = mkdtempSync(path.join(tmpdir(), 'kgd-keys-'));
    database = await openDatabase({ url: testDb.url, poolSize: 4, logger: createSilentLogger() });
  });
  afterAll(async () => {
    await database?.close();
    await testDb?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('licenses carry a kid; during a rotation both keys are published and verify picks by kid', async () => {
    await insertInstanceRow(database.db, { id: 'kgi-lic-1', status: 'ready' }, clock.now());
    const before = await issueWithCurrentKey('kgi-lic-1', oldMaster);
    expect(before.license.document).toMatchObject({ kid: before.kid });

    const rotated = await kgd(onOld(), 'keys', 'rotate-license', '--json');
    expect(rotated.code, rotated.stderr).toBe(0);
    const { kid, previous } = JSON.parse(rotated.stdout) as { kid: string; previous: string };
    expect(previous).toBe(before.kid);
    expect(kid).not.toBe(previous);

    // Both published, the new one first; a product holding both verifies either license.
    const pub = await kgd(onOld(), 'license', 'public-key', '--json');
    const keys = (JSON.parse(pub.stdout) as { keys: Array<{ kid: string; current: boolean }> })
      .keys;
    expect(keys.map((k) => [k.kid, k.current])).toEqual([
      [kid, true],
      [previous, false],
    ]);
    const pemFile = path.join(dir, 'license-keys.pem');
    writeFileSync(pemFile, (await kgd(onOld(), 'license', 'public-key')).stdout);
    const after = await issueWithCurrentKey('kgi-lic-1', oldMaster);
    expect(after.kid).toBe(kid);
    for (const f of [before.file, after.file]) {
      const offline = await kgd({}, 'license', 'verify', f, '--public-key', pemFile);
      expect([f, offline.code, offline.stderr]).toEqual([f, 0, '']);
      const online = await kgd(onOld(), 'license', 'verify', f);
      expect([f, online.code, online.stderr]).toEqual([f, 0, '']);
    }

    // The current key cannot be retired; an unknown one is named.
    expect((await kgd(onOld(), 'keys', 'retire-license', kid)).code).toBe(4);
    expect((await kgd(onOld(), 'keys', 'retire-license', 'no-such-kid')).code).toBe(3);
    // A kid may begin with '-' (base64url): it is still read as the kid, not as an option.
    expect((await kgd(onOld(), 'keys', 'retire-license', '-no-such-kid')).code).toBe(3);
    const retired = await kgd(onOld(), 'keys', 'retire-license', previous);
    expect(retired.code, retired.stderr).toBe(0);
    const old = await kgd(onOld(), 'license', 'verify', before.file, '--json');
    expect(old.code).toBe(1);
    expect(JSON.parse(old.stdout)).toMatchObject({ valid: false, status: 'invalid' });
    expect(JSON.parse(old.stdout).reason).toContain(previous);
    expect((await kgd(onOld(), 'license', 'verify', after.file)).code).toBe(0);
    const audit = await database.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', 'like', 'keys.%')
      .execute();
    expect(audit.map((a) => a.action).sort()).toEqual([
      'keys.retire-license',
      'keys.rotate-license',
    ]);
  });

  it('rotate-master re-seals every secret in one transaction and is resumable', async () => {
    const oldBox = createSecretBox(oldMaster);
    const secrets = createInstanceSecrets(oldBox, createSecretScrubber());
    await insertInstanceRow(
      database.db,
      {
        id: 'kgi-rot-1',
        status: 'ready',
        app_password_sealed: secrets.sealAppPassword('kgi-rot-1', 'App-Pass-1'),
        root_password_sealed: secrets.sealRootPassword('kgi-rot-1', 'Root-Pass-1'),
        private_sealed: secrets.sealPrivate('kgi-rot-1', {
          extendParams: [{ name: 'serverPassword', value: 'Buyer-Pass-1' }],
        }),
      },
      clock.now(),
    );
    await database.db
      .insertInto('inbox')
      .values({
        received_at: clock.now(),
        protocol: 'v1',
        method: 'GET',
        activity: 'newInstance',
        raw_sealed: oldBox.seal('GET /koogallery/produce?activity=newInstance', 'inbox:raw'),
        parsed: null,
        idempotency_key: null,
        duplicate: false,
        instance_id: null,
        operation_id: null,
        test: false,
        key_index: 0,
        result_code: '000000',
        answer: '{}',
        duration_ms: 3,
      })
      .execute();

    // A value sealed under a key this process does not have: the whole rotation is refused and
    // nothing changes (one transaction).
    const stranger = createSecretBox(randomBytes(32));
    await database.db
      .insertInto('secrets')
      .values({
        name: 'zz-stray',
        sealed: stranger.seal('x', 'zz-stray'),
        created_at: clock.now(),
        updated_at: clock.now(),
      })
      .execute();
    const refused = await kgd(rotating(), 'keys', 'rotate-master');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('zz-stray');
    const sealedValues = async () => {
      const i = await database.db
        .selectFrom('instances')
        .select(['app_password_sealed', 'root_password_sealed', 'private_sealed'])
        .where('id', '=', 'kgi-rot-1')
        .executeTakeFirstOrThrow();
      const inbox = await database.db.selectFrom('inbox').select('raw_sealed').execute();
      const s = await database.db
        .selectFrom('secrets')
        .select('sealed')
        .where('name', '!=', 'zz-stray')
        .execute();
      return [
        i.app_password_sealed!,
        i.root_password_sealed!,
        i.private_sealed!,
        ...inbox.map((r) => r.raw_sealed),
        ...s.map((r) => r.sealed),
      ];
    };
    expect((await sealedValues()).every((v) => v.startsWith(`kgd1.${oldBox.keyId}.`))).toBe(true);
    await database.db.deleteFrom('secrets').where('name', '=', 'zz-stray').execute();

    const dry = await kgd(rotating(), 'keys', 'rotate-master', '--dry-run', '--json');
    expect(dry.code, dry.stderr).toBe(0);
    const planned = JSON.parse(dry.stdout);
    // 3 instance columns, 1 inbox row, and the license keys (current and any still published).
    expect(planned.total).toBeGreaterThanOrEqual(5);
    expect((await sealedValues()).every((v) => v.startsWith(`kgd1.${oldBox.keyId}.`))).toBe(true);

    const run = await kgd(rotating(), 'keys', 'rotate-master', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).resealed).toEqual(planned.resealed);
    const newBox = createSecretBox(newMaster);
    expect((await sealedValues()).every((v) => newBox.isCurrent(v))).toBe(true);
    // Readable with the new key alone: the previous one can go.
    const opened = createInstanceSecrets(newBox, createSecretScrubber());
    const row = await database.db
      .selectFrom('instances')
      .selectAll()
      .where('id', '=', 'kgi-rot-1')
      .executeTakeFirstOrThrow();
    expect(opened.appPassword(row)).toBe('App-Pass-1');
    expect(opened.rootPassword(row)).toBe('Root-Pass-1');
    expect(opened.secretParam(row, 'serverPassword')).toBe('Buyer-Pass-1');
    const newOnly = { ...base(), KGD_MASTER_KEY: newMaster.toString('hex') };
    expect((await kgd(newOnly, 'license', 'public-key')).code).toBe(0);

    // Resumable: a replica still on the old key sealed one more value; the next run takes it.
    await database.db
      .updateTable('instances')
      .set({ app_password_sealed: secrets.sealAppPassword('kgi-rot-1', 'App-Pass-2') })
      .where('id', '=', 'kgi-rot-1')
      .execute();
    const again = await kgd(rotating(), 'keys', 'rotate-master', '--json');
    expect(JSON.parse(again.stdout).total).toBe(1);
    const done = await kgd(rotating(), 'keys', 'rotate-master', '--json');
    expect(JSON.parse(done.stdout).total).toBe(0);
  });
});
