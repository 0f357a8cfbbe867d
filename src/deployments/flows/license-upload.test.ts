import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { StepRecord } from '../../../test/support/fakes/memory-steps.js';
import { createFlowHarness, type FlowHarness } from '../../../test/support/flow-harness.js';
import { verifyLicense } from '../../licenses/license-token.js';
import type { LicenseUploadParams } from '../commands/record-license-upload.js';
import { licenseUploadKey } from '../model/keys.js';

const fingerprint = '00:1A:2B:3C:4D:5E|WD-123|BOARD-9|CPU-7';

/** A ready License instance and the license-upload operation recordLicenseUpload records, pending. */
function requested(
  h: FlowHarness = createFlowHarness(),
  event: Partial<LicenseUploadParams> = {},
  instance = true,
) {
  const instanceId = 'kgi-live-1';
  if (instance)
    h.store.seedInstance({
      id: instanceId,
      protocol: 'v2',
      status: 'ready',
      order_id: 'CS-LIVE-1',
      product_id: 'OFFI-DEMO-LICENSE-MONTH',
      sku_code: 'basic',
      customer_name: 'Acme Buyer',
    });
  const params: LicenseUploadParams = {
    instanceId,
    eventId: 'EVT-0001',
    effectiveTime: '2026-06-01T08:00:00.000Z',
    expireTime: '2026-07-01T08:00:00.000Z',
    deviceFingerprint: fingerprint,
    ...event,
  };
  h.delivery.events.add(params.eventId);
  const operationId = `op_upload_${params.eventId}`;
  h.store.seedOperation({
    id: operationId,
    instance_id: instance ? instanceId : null,
    order_id: instance ? 'CS-LIVE-1' : `event:${params.eventId}`,
    kind: 'license-upload',
    idempotency_key: licenseUploadKey(params.eventId),
    params: params as unknown as Record<string, unknown>,
  });
  return { h, instanceId, operationId, params };
}

const stepsOf = (h: FlowHarness, operationId: string) =>
  h.journal.entries.filter((e) => e.operationId === operationId).map((e) => e.step);

describe('license-upload flow (getLicenseAsync)', () => {
  it('renders the product license bound to the device and uploads it once for the event', async () => {
    const { h, instanceId, operationId } = requested();
    expect(await h.run(operationId)).toEqual({ status: 'succeeded' });
    expect(h.delivery.uploads).toHaveLength(1);
    const up = h.delivery.uploads[0]!;
    expect(up.eventId).toBe('EVT-0001');
    expect(up.name).toBe('license.key'); // the template's file name
    expect(up.sha256).toBe(createHash('sha256').update(up.text).digest('hex'));
    expect(up.text).toMatch(/^KGD1\./);
    expect(up.text).toContain(`# demo-license for Acme Buyer, instance ${instanceId}`);
    const check = verifyLicense(up.text.split('\n')[0]!, h.licenses.publicKeyPem, h.clock.now());
    expect(check).toMatchObject({ valid: true });
    expect(check.valid && check.document).toMatchObject({
      boundTo: { machineCode: fingerprint },
      notBefore: '2026-06-01T08:00:00.000Z',
      expiresAt: '2026-07-01T08:00:00.000Z',
    });
    expect(h.instance(instanceId).status).toBe('ready');
    expect(stepsOf(h, operationId)).toEqual(
      expect.arrayContaining(['render-license', 'upload-license']),
    );
  });

  it('retries the upload on a transient answer (CBC.0999, 91381036) and uploads once', async () => {
    const { h, operationId } = requested();
    h.delivery.failNext('CBC.0999', '91381036');
    expect(await h.run(operationId)).toEqual({ status: 'succeeded' });
    expect(h.delivery.attempts).toEqual(['EVT-0001', 'EVT-0001', 'EVT-0001']);
    expect(h.delivery.uploads).toHaveLength(1);
  });

  it('a permanent answer fails the operation at upload-license with the code; the instance stays ready', async () => {
    const { h, instanceId, operationId } = requested();
    h.delivery.failNext('91381035');
    const outcome = await h.run(operationId);
    expect(outcome).toMatchObject({ status: 'failed', failedStep: 'upload-license' });
    expect(JSON.stringify(h.op(operationId).error)).toMatch(/refused: 91381035/);
    expect(h.delivery.attempts).toHaveLength(1);
    expect(h.delivery.uploads).toEqual([]);
    expect(h.instance(instanceId).status).toBe('ready');
  });

  it('a device-bound product without a fingerprint fails clearly, uploading nothing', async () => {
    const h = createFlowHarness({
      products: (ps) =>
        ps.map((p) =>
          p.name === 'demo-license' ? { ...p, license: { ...p.license, bindToDevice: true } } : p,
        ),
    });
    const { operationId } = requested(h, { deviceFingerprint: null });
    expect(await h.run(operationId)).toMatchObject({
      status: 'failed',
      failedStep: 'render-license',
    });
    expect(JSON.stringify(h.op(operationId).error)).toMatch(/binds to a device, none was given/);
    expect(h.delivery.attempts).toEqual([]);
  });

  it('a debug call for an unknown instance uploads a test license', async () => {
    const { h, operationId } = requested(createFlowHarness(), { instanceId: 'nobody' }, false);
    expect(await h.run(operationId)).toEqual({ status: 'succeeded' });
    expect(h.delivery.uploads.map((u) => u.text)).toEqual([
      '# KooGallery test license (testFlag=1), instance nobody, event EVT-0001\n',
    ]);
  });

  // begin, render-license, upload-license, finish: the process dies after each checkpoint.
  for (const stopAfter of [1, 2, 3]) {
    it(`a crash after checkpoint ${stopAfter} replays to exactly one upload of the same bytes`, async () => {
      const { h, operationId } = requested();
      const record: StepRecord[] = [];
      expect(await h.run(operationId, { record, stopAfter })).toBe('stopped');
      const before = h.delivery.uploads.length;
      expect(before).toBe(stopAfter >= 3 ? 1 : 0);
      expect(await h.run(operationId, { record })).toEqual({ status: 'succeeded' });
      expect(h.delivery.uploads).toHaveLength(1);
      expect(h.licenses.issued).toHaveLength(1);
    });
  }

  it('a crash between the upload and its checkpoint uploads the same bytes again, never others', async () => {
    const { h, operationId } = requested();
    // The upload went through, then the process died before the step was recorded: the replay
    // starts from the last checkpoint (render-license) and uploads again. The API cannot be asked
    // what an event holds; the spec allows a resend of the same bytes (§7.1).
    const record: StepRecord[] = [];
    expect(await h.run(operationId, { record, stopAfter: 3 })).toBe('stopped');
    const lost = record.slice(0, 2);
    expect(await h.run(operationId, { record: lost })).toEqual({ status: 'succeeded' });
    expect(h.delivery.uploads).toHaveLength(2);
    expect(h.delivery.uploads[1]).toEqual(h.delivery.uploads[0]);
  });
});
