import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngineHarness, type EngineHarness } from '../support/engine-harness.js';
import { waitFor } from '../support/wait-for.js';

let h: EngineHarness;
beforeAll(async () => {
  h = await createEngineHarness();
});
afterAll(() => h?.close());

const operationOf = (eventId: string) =>
  h.database.db
    .selectFrom('operations')
    .selectAll()
    .where('idempotency_key', '=', `license-upload:${eventId}`)
    .executeTakeFirst();

describe('getLicenseAsync (live License delivery, spec §7)', () => {
  it('answers 000004, uploads the license once for the event, and a resend answers 000000 without a second upload', async () => {
    const bought = await h.v2({
      activity: 'newInstance',
      orderId: 'MOCKPERIODYEARNEW',
      orderLineId: 'MOCKPERIODYEARNEW-000001',
      businessId: 'b-live',
      testFlag: '0',
    });
    const instanceId = bought.instanceId as string;
    await h.waitForStatus(instanceId, 'ready');

    const marketplace = h.sim.marketplace!;
    const eventId = 'EVT-E2E-0001';
    marketplace.scenario.licenseEvents.add(eventId);
    const call = {
      activity: 'getLicenseAsync',
      instanceId,
      eventId,
      effectiveTime: '2026-06-01 08:00:00 z',
      expireTime: '2027-06-01 08:00:00 z',
      deviceFingerprint: '00:1A:2B:3C:4D:5E|WD-1|BOARD-1|CPU-1',
    };
    // The first call and a concurrent resend: one operation, one upload.
    const [first, concurrent] = await Promise.all([h.v2(call), h.v2(call)]);
    expect(first.resultCode).toBe('000004');
    expect(['000004', '000000']).toContain(concurrent.resultCode);

    const op = await waitFor(
      'the license upload to finish',
      async () => {
        const row = await operationOf(eventId);
        return row && ['succeeded', 'failed'].includes(row.status) ? row : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 50 },
    );
    expect(op).toMatchObject({
      kind: 'license-upload',
      status: 'succeeded',
      instance_id: instanceId,
    });

    const uploads = marketplace.licenseUploads().filter((u) => u.eventId === eventId);
    expect(uploads).toHaveLength(1);
    const up = uploads[0]!;
    expect(up.sha256).toBe(createHash('sha256').update(up.text).digest('hex'));
    expect(up.fileName).toBe('license.key');
    expect(up.text).toMatch(/^KGD1\./);
    expect(up.text).toContain(`instance ${instanceId}`);

    // Operators see the event's steps in the journal.
    const logs = await h.database.db
      .selectFrom('operation_logs')
      .select(['step', 'message'])
      .where('operation_id', '=', op.id)
      .execute();
    expect(logs.map((l) => l.step)).toEqual(
      expect.arrayContaining(['render-license', 'upload-license']),
    );
    expect(logs.find((l) => l.step === 'upload-license')?.message).toContain(up.sha256);

    // A resend once uploaded: 000000, nothing uploaded again, the instance untouched.
    const resend = await h.v2(call);
    expect(resend.resultCode).toBe('000000');
    expect(marketplace.licenseUploads().filter((u) => u.eventId === eventId)).toHaveLength(1);
    expect((await h.instance(instanceId)).status).toBe('ready');

    // The same event with another device is not the same application: refused, nothing changes.
    const other = await h.v2({ ...call, deviceFingerprint: 'FF:FF|X|Y|Z' });
    expect(other.resultCode).toBe('000002');
    const ops = await h.database.db
      .selectFrom('operations')
      .select('id')
      .where('kind', '=', 'license-upload')
      .execute();
    expect(ops).toHaveLength(1);
  });

  it('an unknown instance is 000003 and records nothing; bad input is 000002', async () => {
    const unknown = await h.v2({
      activity: 'getLicenseAsync',
      instanceId: 'no-such-instance',
      eventId: 'EVT-E2E-UNKNOWN',
      effectiveTime: '2026-06-01 08:00:00 z',
    });
    expect(unknown.resultCode).toBe('000003');
    expect(await operationOf('EVT-E2E-UNKNOWN')).toBeUndefined();
    const bad = await h.v2({
      activity: 'getLicenseAsync',
      instanceId: 'no-such-instance',
      eventId: 'EVT-E2E-BAD',
      effectiveTime: 'yesterday',
    });
    expect(bad).toMatchObject({ resultCode: '000002' });
    expect(bad.resultMsg).toMatch(/^effectiveTime: expected yyyy-MM-dd HH:mm:ss/);
    expect(await operationOf('EVT-E2E-BAD')).toBeUndefined();
  });
});
