import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../../test/support/fakes/manual-clock.js';
import { InputError } from './input-error.js';
import { mockOrderIds } from './mock-orders.js';
import { refreshFields } from './notification-fields.js';
import { createOrderBook, termsOf } from './orders.js';
import { addPeriod, formatOrderTime, formatV1TimeStamp, parseOrderTime } from './time-format.js';

const start = new Date('2026-01-31T10:20:30.456Z');

describe('time formats', () => {
  it('formats and parses the marketplace times in UTC', () => {
    expect(formatV1TimeStamp(start)).toBe('20260131102030456');
    expect(formatOrderTime(start)).toBe('20260131102030');
    expect(parseOrderTime('20260131102030')?.toISOString()).toBe('2026-01-31T10:20:30.000Z');
    expect(parseOrderTime('2026013110203')).toBeUndefined();
  });

  it('sends V2 refreshInstance expireTime with milliseconds (17 digits), V1 with 14 (spec §4)', () => {
    const book = createOrderBook({ clock: createManualClock({ start }) });
    const order = book.createPurchase({ productId: 'p', skuCode: 's', periodType: 'month' });
    expect(refreshFields('v2', order, 'i-1', '0', 'RENEWAL').expireTime).toBe('20260228102030456');
    expect(refreshFields('v1', order, 'i-1', '0', 'RENEWAL').expireTime).toBe('20260228102030');
  });

  it('adds calendar periods, clamping to the end of shorter months', () => {
    expect(addPeriod(start, 'month', 1).toISOString()).toBe('2026-02-28T10:20:30.456Z');
    expect(addPeriod(start, 'year', 1).toISOString()).toBe('2027-01-31T10:20:30.456Z');
    expect(addPeriod(start, 'day', 7).toISOString()).toBe('2026-02-07T10:20:30.456Z');
    expect(addPeriod(new Date('2028-02-29T00:00:00Z'), 'year', 1).toISOString()).toBe(
      '2029-02-28T00:00:00.000Z',
    );
  });
});

describe('order book', () => {
  const clock = createManualClock({ start: start });

  it('creates purchase orders with marketplace-shaped ids, lines and expiry', () => {
    const book = createOrderBook({ clock });
    const order = book.createPurchase({
      productId: 'OFFI0001',
      skuCode: 'small',
      periodType: 'month',
      periodNumber: 2,
      linearValue: 3,
      extendParams: [{ name: 'domain', value: 'shop.example.com' }],
      buyer: { email: 'b@example.com' },
    });
    expect(order.orderId).toMatch(/^CS2601311020[A-Z0-9]{5}$/);
    expect(order.orderType).toBe('NEW');
    expect(order.buyerInfo.email).toBe('b@example.com');
    expect(order.buyerInfo.customerId).toMatch(/^cust-/);
    const line = order.orderLine[0]!;
    expect(line.orderLineId).toBe(`${order.orderId}-000001`);
    expect(line).toMatchObject({ chargingMode: 'PERIOD', periodType: 'month', periodNumber: 2 });
    expect(line.expireTime?.toISOString()).toBe('2026-03-31T10:20:30.456Z');
    expect(line.productInfo).toEqual([{ productId: 'OFFI0001', skuCode: 'small', linearValue: 3 }]);
    expect(book.get(order.orderId)).toBe(order);
  });

  it('never reuses an order id, even with a colliding random suffix', () => {
    const suffixes = ['AAAAA', 'AAAAA', 'BBBBB', 'CCCCC', 'DDDDD'];
    const book = createOrderBook({ clock, suffix: () => suffixes.shift() ?? 'ZZZZZ' });
    const a = book.createPurchase({ productId: 'p', skuCode: 's' });
    const b = book.createPurchase({ productId: 'p', skuCode: 's' });
    expect(a.orderId).not.toBe(b.orderId);
  });

  it('trial, one-time and pay-per-use orders', () => {
    const book = createOrderBook({ clock });
    expect(book.createPurchase({ productId: 'p', skuCode: 's', trial: true }).orderType).toBe(
      'TRIAL',
    );
    const once = book.createPurchase({ productId: 'p', skuCode: 's', chargingMode: 'ONE_TIME' });
    expect(once.orderLine[0]).toMatchObject({
      chargingMode: 'ONE_TIME',
      expireTime: undefined,
      periodType: undefined,
    });
  });

  it('refuses bad purchases with the field named', () => {
    const book = createOrderBook({ clock });
    const bad = (input: unknown) => {
      try {
        book.createPurchase(input as never);
      } catch (err) {
        return (err as InputError).issues.map((i) => i.field);
      }
      return [];
    };
    const four = Array.from({ length: 4 }, (_, i) => ({ name: `n${i}`, value: 'v' }));
    expect(bad({ productId: 'p', skuCode: 's', extendParams: four })).toEqual(['extendParams']);
    expect(bad({ skuCode: 's' })).toEqual(['productId']);
    expect(bad({ productId: 'p', skuCode: 's', periodNumber: 1.5 })).toEqual(['periodNumber']);
    expect(bad({ productId: 'p', skuCode: 's', buyer: { email: 'nope' } })).toEqual([
      'buyer.email',
    ]);
    expect(() => book.createPurchase({} as never)).toThrow(InputError);
  });

  it('renewals extend from the current expiry, trial-to-formal from now; changes and unsubscriptions', () => {
    const book = createOrderBook({ clock });
    const order = book.createPurchase({ productId: 'p', skuCode: 's', periodType: 'month' });
    const terms = termsOf(order);
    const renewal = book.createRenewal('inst-1', terms, { periodType: 'year', periodNumber: 1 });
    expect(renewal).toMatchObject({ orderType: 'RENEW', instanceId: 'inst-1' });
    expect(renewal.orderLine[0]!.expireTime?.toISOString()).toBe('2027-02-28T10:20:30.456Z');
    const formal = book.createRenewal('inst-1', terms, { trialToFormal: true });
    expect(formal.orderType).toBe('TRIAL_TO_FORMAL');
    expect(formal.orderLine[0]!.expireTime?.toISOString()).toBe('2026-02-28T10:20:30.456Z');
    const change = book.createChange('inst-1', terms, {
      productInfo: { productId: 'p', skuCode: 'big' },
    });
    expect(change).toMatchObject({ orderType: 'CHANGE' });
    expect(change.orderLine[0]!.productInfo[0]!.skuCode).toBe('big');
    expect(book.createUnsubscribe('inst-1', terms).orderType).toBe('UNSUBSCRIBE');
  });

  it('holds the MOCK debug orders of spec §6, for the configured product', () => {
    const book = createOrderBook({ clock, mockProduct: { productId: 'OFFI1', skuCode: 'sku1' } });
    for (const id of [
      'MOCKPERIODYEARNEW',
      'MOCKONETIMENEW',
      'MOCKONDEMAND',
      'MOCKPERIODDAYTRIAL',
      'MOCKMONTYTRIALTOFORMAL',
      'MOCKMONTYUNSUBSCRIBE',
      'MOCKMONTYRENEW',
      'MOCKMONTYCHANGE',
    ]) {
      const o = book.get(id);
      expect(o?.mock, id).toBe(true);
      expect(o!.orderLine[0]!.orderLineId).toBe(`${id}-000001`);
      expect(o!.orderLine[0]!.productInfo[0]).toEqual({ productId: 'OFFI1', skuCode: 'sku1' });
    }
    expect(book.get('MOCKPERIODDAYTRIAL')?.orderType).toBe('TRIAL');
    expect(book.get('MOCKONETIMENEW')!.orderLine[0]!.chargingMode).toBe('ONE_TIME');
    book.setMockProduct({ productId: 'OFFI2', skuCode: 'sku2' });
    expect(book.get('MOCKMONTYRENEW')!.orderLine[0]!.productInfo[0]!.productId).toBe('OFFI2');
    expect(book.list().filter((o) => o.mock)).toHaveLength(mockOrderIds.length);
  });
});
