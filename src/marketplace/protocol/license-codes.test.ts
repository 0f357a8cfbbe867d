import { describe, expect, it } from 'vitest';
import { v2Signature, verifyV2 } from './signatures.js';
import { parseV1 } from './v1.js';
import { parseV2 } from './v2.js';

/** The spec's refreshLicenseCode example (§8), masked values filled in. */
const refresh = {
  activity: 'refreshLicenseCode',
  expireTime: '20230523201932',
  license: 'LIC-0001',
  orderId: 'CS2305232019ABCDE',
  orderLineId: 'CS2305232019ABCDE-000001',
  productId: 'OFFI461867333479178240',
  scene: 'RENEWAL',
  testFlag: '1',
};

describe('License codes 2.0 activities (spec §8)', () => {
  it('parses the documented refreshLicenseCode example, expireTime yyyyMMddHHmmss in UTC', () => {
    expect(parseV2(refresh)).toEqual({
      ok: true,
      command: {
        kind: 'code-renew',
        test: true,
        code: 'LIC-0001',
        scene: 'RENEWAL',
        orderId: 'CS2305232019ABCDE',
        orderLineId: 'CS2305232019ABCDE-000001',
        productId: 'OFFI461867333479178240',
        expireTime: new Date('2023-05-23T20:19:32Z'),
      },
    });
  });

  it('keeps milliseconds when a 17-digit expireTime is sent, and a real call has no testFlag', () => {
    const { testFlag: _, ...real } = refresh;
    const r = parseV2({
      ...real,
      expireTime: '20230523201932256',
      scene: 'UNSUBSCRIBE_RENEWAL_PERIOD',
    });
    expect(r).toMatchObject({
      ok: true,
      command: {
        test: false,
        scene: 'UNSUBSCRIBE_RENEWAL_PERIOD',
        expireTime: new Date('2023-05-23T20:19:32.256Z'),
      },
    });
  });

  it('names the wrong field of refreshLicenseCode', () => {
    expect(parseV2({ ...refresh, scene: 'TRIAL_TO_FORMAL' })).toMatchObject({
      ok: false,
      message: 'scene: expected RENEWAL or UNSUBSCRIBE_RENEWAL_PERIOD',
    });
    expect(parseV2({ ...refresh, expireTime: '2023-05-23 20:19:32' })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^expireTime: expected yyyyMMddHHmmss/),
    });
    expect(parseV2({ ...refresh, expireTime: '20230231201932' })).toMatchObject({ ok: false });
    expect(parseV2({ ...refresh, license: 'x'.repeat(65) })).toMatchObject({
      ok: false,
      message: 'license: at most 64 characters',
    });
    const { orderLineId: _, ...noLine } = refresh;
    expect(parseV2(noLine)).toMatchObject({
      ok: false,
      message: 'orderLineId: required, a string',
    });
  });

  it('parses updateLicenseCodeStatus FREEZE and UNFREEZE, refuses other statuses', () => {
    const body = { activity: 'updateLicenseCodeStatus', license: 'LIC-0001', status: 'FREEZE' };
    expect(parseV2(body)).toEqual({
      ok: true,
      command: { kind: 'code-status', test: false, code: 'LIC-0001', frozen: true },
    });
    expect(parseV2({ ...body, status: 'UNFREEZE', testFlag: '1' })).toMatchObject({
      command: { frozen: false, test: true },
    });
    expect(parseV2({ ...body, status: 'NORMAL' })).toMatchObject({
      ok: false,
      message: 'status: expected FREEZE or UNFREEZE',
    });
    expect(parseV2({ ...body, status: 'F'.repeat(33) })).toMatchObject({ ok: false });
  });

  it('parses releaseLicenseCode with and without its optional order', () => {
    const body = { activity: 'releaseLicenseCode', license: 'LIC-0001' };
    expect(parseV2(body)).toEqual({
      ok: true,
      command: {
        kind: 'code-release',
        test: false,
        code: 'LIC-0001',
        orderId: null,
        orderLineId: null,
      },
    });
    expect(parseV2({ ...body, orderId: 'CS1', orderLineId: 'CS1-000001' })).toMatchObject({
      command: { orderId: 'CS1', orderLineId: 'CS1-000001' },
    });
    expect(parseV2({ activity: 'releaseLicenseCode' })).toMatchObject({
      ok: false,
      message: 'license: required, a string',
    });
  });

  it('verifies as V2 does: the spec vector key, nonce and timestamp over a license-code body', () => {
    const key = 'demo-access-key-0001';
    const nonce = '6D5B2E1F0A9C8B7A6D5B2E1F0A9C8B7A';
    const body = Buffer.from(JSON.stringify(refresh));
    const signature = v2Signature(key, nonce, '1700000000000', body);
    expect(verifyV2(['other-key', key], nonce, '1700000000000', body, signature)).toBe(1);
    expect(verifyV2([key], nonce, '1700000000001', body, signature)).toBeUndefined();
  });
});

describe('V1 refreshLicense and releaseLicense (spec §5)', () => {
  const common = { timeStamp: '20240101120000123', instanceId: 'inst-1', orderId: 'CS-RENEW' };

  it('parses refreshLicense: the renewal order and the new 14-digit expiry', () => {
    expect(
      parseV1('refreshLicense', {
        ...common,
        activity: 'refreshLicense',
        productId: 'p1',
        expireTime: '20250101000000',
        periodType: 'year',
        periodNumber: '1',
      }),
    ).toEqual({
      ok: true,
      command: {
        kind: 'license-renew',
        test: false,
        instanceId: 'inst-1',
        orderId: 'CS-RENEW',
        productId: 'p1',
        expireTime: new Date('2025-01-01T00:00:00Z'),
        periodType: 'year',
        periodNumber: 1,
      },
    });
  });

  it('requires refreshLicense expireTime and names it', () => {
    expect(parseV1('refreshLicense', { ...common, activity: 'refreshLicense' })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^expireTime: /),
    });
  });

  it('parses releaseLicense into the one release of the instance', () => {
    expect(
      parseV1('releaseLicense', { ...common, activity: 'releaseLicense', testFlag: '1' }),
    ).toEqual({
      ok: true,
      command: {
        kind: 'release',
        test: true,
        instanceId: 'inst-1',
        orderId: 'CS-RENEW',
        orderLineId: null,
      },
    });
    expect(
      parseV1('releaseLicense', { timeStamp: common.timeStamp, instanceId: 'i' }),
    ).toMatchObject({
      ok: false,
      message: 'orderId: required, a string',
    });
  });
});
