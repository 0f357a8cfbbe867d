import { describe, expect, it } from 'vitest';
import { parseV1 } from './v1.js';

const purchase = (extra: Record<string, string>) => ({
  activity: 'newInstance',
  timeStamp: '20261201080000123',
  businessId: 'b-1',
  orderId: 'ORD-1',
  customerId: 'c-1',
  skuCode: 'sku-1',
  productId: 'prod-1',
  ...extra,
});

describe('V1 newInstance expiry', () => {
  it('refuses a periodic purchase without expireTime, naming the field', () => {
    const r = parseV1('newInstance', purchase({ chargingMode: '1', periodType: 'month' }));
    expect(r).toEqual({
      ok: false,
      message: 'expireTime: required for a periodic purchase (chargingMode 1)',
    });
  });

  it('accepts a periodic purchase with expireTime and a one-off purchase without', () => {
    const periodic = parseV1(
      'newInstance',
      purchase({ chargingMode: '1', expireTime: '20271201080000' }),
    );
    expect(
      periodic.ok && periodic.command.kind === 'new' && periodic.command.order.expireTime,
    ).toEqual(new Date('2027-12-01T08:00:00Z'));
    expect(parseV1('newInstance', purchase({ chargingMode: '3' })).ok).toBe(true);
  });
});
