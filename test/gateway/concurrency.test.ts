import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BASE,
  countRows,
  createGatewayHarness,
  type GatewayHarness,
  KEY,
} from '../support/gateway.js';
import { readAnswer, v1Request, v2Request } from '../support/marketplace-calls.js';

let h: GatewayHarness;
beforeAll(async () => {
  h = await createGatewayHarness();
});
afterAll(() => h.close());

describe('duplicates arriving together', () => {
  it('ten identical newInstance calls at once create one instance (V2)', async () => {
    const body = {
      activity: 'newInstance',
      orderId: 'CC-1',
      orderLineId: 'CC-1-000001',
      businessId: 'b',
      testFlag: '0',
    };
    const answers = await Promise.all(
      Array.from({ length: 10 }, async () =>
        readAnswer(await h.app.request(v2Request(BASE, body, KEY, h.clock.now())), KEY),
      ),
    );
    const ids = new Set(answers.map((a) => a.body.instanceId));
    expect(answers.map((a) => a.body.resultCode)).toEqual(Array(10).fill('000004'));
    expect(ids.size).toBe(1);
    const rows = await h.database.db
      .selectFrom('operations')
      .select('id')
      .where('idempotency_key', '=', 'new:CC-1:CC-1-000001')
      .execute();
    expect(rows).toHaveLength(1);
    expect(await countRows(h, 'instances')).toBe(1);
    const inbox = await h.database.db
      .selectFrom('inbox')
      .select('duplicate')
      .where('instance_id', '=', [...ids][0] as string)
      .execute();
    expect(inbox.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(inbox).toHaveLength(10);
  });

  it('ten concurrent V1 resends with different businessIds, and ten concurrent releases, each act once', async () => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const params = {
          activity: 'newInstance',
          businessId: `b-${i}`,
          orderId: 'CC-2',
          skuCode: 's',
          productId: 'p',
          customerId: 'c',
        };
        return readAnswer(
          await h.app.request(v1Request(BASE, params, KEY, new Date(h.clock.now().getTime() + i))),
          KEY,
        );
      }),
    );
    const ids = new Set(answers.map((a) => a.body.instanceId));
    expect(ids.size).toBe(1);
    const id = [...ids][0] as string;
    const releases = await Promise.all(
      Array.from({ length: 10 }, async () =>
        readAnswer(
          await h.app.request(
            v2Request(
              BASE,
              { activity: 'releaseInstance', instanceId: id, testFlag: '0' },
              KEY,
              h.clock.now(),
            ),
          ),
          KEY,
        ),
      ),
    );
    expect(releases.every((a) => a.body.resultCode === '000000')).toBe(true);
    const ops = await h.database.db
      .selectFrom('operations')
      .select('kind')
      .where('instance_id', '=', id)
      .execute();
    expect(ops.map((o) => o.kind).sort()).toEqual(['deploy', 'release']);
  });
});

describe('a slow database', () => {
  it('answers 000005 within the deadline and keeps nothing of the call', async () => {
    const slow = await h.restart({ KGD_ANSWER_DEADLINE_MS: '300' });
    h = slow;
    const first = await readAnswer(
      await h.app.request(
        v2Request(
          BASE,
          {
            activity: 'newInstance',
            orderId: 'SLOW-1',
            orderLineId: 'SLOW-1-000001',
            businessId: 'b',
            testFlag: '0',
          },
          KEY,
          h.clock.now(),
        ),
      ),
      KEY,
    );
    const id = first.body.instanceId as string;
    const before = await Promise.all([
      countRows(h, 'inbox'),
      countRows(h, 'operations'),
      countRows(h, 'replay_guard'),
    ]);
    // Another session holds the instance row: the renewal's row lock waits past the deadline.
    const blocker = new pg.Client({ connectionString: h.testDb.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM instances WHERE id = $1 FOR UPDATE', [id]);
    const started = performance.now();
    const a = await readAnswer(
      await h.app.request(
        v2Request(
          BASE,
          {
            activity: 'refreshInstance',
            scene: 'RENEWAL',
            orderId: 'R',
            instanceId: id,
            testFlag: '0',
          },
          KEY,
          h.clock.now(),
        ),
      ),
      KEY,
    );
    const elapsed = performance.now() - started;
    expect(a.body.resultCode).toBe('000005');
    expect(a.bodySignValid).toBe(true);
    expect(elapsed).toBeLessThan(5000);
    await blocker.query('COMMIT');
    await blocker.end();
    // The abandoned transaction finishes once unblocked: wait until no other session of this
    // database is inside a transaction, so a (wrong) late commit would be visible below.
    const deadline = Date.now() + 5000;
    for (;;) {
      const { rows } = await h.database.pool.query(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND xact_start IS NOT NULL AND pid <> pg_backend_pid()',
      );
      if (rows[0].n === 0) break;
      if (Date.now() > deadline) throw new Error('the abandoned transaction did not finish');
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(
      await Promise.all([
        countRows(h, 'inbox'),
        countRows(h, 'operations'),
        countRows(h, 'replay_guard'),
      ]),
    ).toEqual(before);
  });
});
