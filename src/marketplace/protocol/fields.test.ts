import { describe, expect, it } from 'vitest';
import {
  compactTime,
  compactTimeEitherPrecision,
  compactTimeMs,
  formatCompactTime,
  spacedUtcTime,
} from './fields.js';

/** Spec §4: each field accepts its documented forms, keeps milliseconds, answers in its own form. */
describe('time fields (spec §4)', () => {
  it('yyyyMMddHHmmss: V1 expireTime, order query createTime (examples 20230726155959, 20230523201932)', () => {
    expect(compactTime.parse('20230726155959').toISOString()).toBe('2023-07-26T15:59:59.000Z');
    expect(compactTime.parse('20230523201932').toISOString()).toBe('2023-05-23T20:19:32.000Z');
    expect(compactTime.safeParse('20221124023618256').success).toBe(false);
  });

  it('yyyyMMddHHmmssSSS: V1 timeStamp (example 20200727073711903), milliseconds kept', () => {
    expect(compactTimeMs.parse('20200727073711903').toISOString()).toBe('2020-07-27T07:37:11.903Z');
    expect(compactTimeMs.safeParse('20200727073711').success).toBe(false);
  });

  it('V2 refreshInstance expireTime: the example 20221124023618256 (17) and the table form (14)', () => {
    expect(compactTimeEitherPrecision.parse('20221124023618256').toISOString()).toBe(
      '2022-11-24T02:36:18.256Z',
    );
    expect(compactTimeEitherPrecision.parse('20221124023618').toISOString()).toBe(
      '2022-11-24T02:36:18.000Z',
    );
    for (const bad of ['202211240236182', '2022112402361825', '2022-11-24 02:36:18'])
      expect(compactTimeEitherPrecision.safeParse(bad).success).toBe(false);
  });

  it('getLicenseAsync times: the example "2023-10-27 10:30:15 z" and the other UTC tokens', () => {
    for (const v of [
      '2023-10-27 10:30:15 z',
      '2023-10-27 10:30:15',
      '2023-10-27 10:30:15Z',
      '2023-10-27 10:30:15 UTC',
      '2023-10-27 10:30:15 GMT',
      '2023-10-27 10:30:15 +00:00',
    ])
      expect(spacedUtcTime.parse(v).toISOString(), v).toBe('2023-10-27T10:30:15.000Z');
    expect(spacedUtcTime.parse('2024-10-27 10:30:15.120 z').toISOString()).toBe(
      '2024-10-27T10:30:15.120Z',
    );
    // Another zone would shift the instant: refused rather than guessed.
    for (const bad of ['2023-10-27 10:30:15 +08:00', '2023-10-27 10:30', '20231027103015'])
      expect(spacedUtcTime.safeParse(bad).success, bad).toBe(false);
  });

  it('refuses dates that do not exist, naming the expected form', () => {
    for (const bad of ['20230231120000', '20231301000000', '20230101246000'])
      expect(compactTime.safeParse(bad).success, bad).toBe(false);
    expect(compactTimeEitherPrecision.safeParse('20230230000000000').success).toBe(false);
    expect(spacedUtcTime.safeParse('2023-02-29 00:00:00 z').success).toBe(false);
    const r = compactTime.safeParse('2023');
    expect(r.error?.issues[0]?.message).toBe('expected yyyyMMddHHmmss (UTC), a real date');
  });

  it('answers in the documented forms, 14 digits or 17 with milliseconds', () => {
    const at = new Date('2022-11-24T02:36:18.256Z');
    expect(formatCompactTime(at)).toBe('20221124023618');
    expect(formatCompactTime(at, true)).toBe('20221124023618256');
  });
});
