import { describe, expect, it } from 'vitest';
import { parseLimit, parseSince } from './filters.js';

const now = new Date('2026-03-01T12:00:00Z');

describe('filters', () => {
  it('since: durations back from now and ISO dates', () => {
    expect(parseSince('90m', now).toISOString()).toBe('2026-03-01T10:30:00.000Z');
    expect(parseSince('24h', now).toISOString()).toBe('2026-02-28T12:00:00.000Z');
    expect(parseSince('7d', now).toISOString()).toBe('2026-02-22T12:00:00.000Z');
    expect(parseSince('2026-02-01', now).toISOString()).toBe('2026-02-01T00:00:00.000Z');
    expect(parseSince('2026-02-01T03:04:05Z', now).toISOString()).toBe('2026-02-01T03:04:05.000Z');
  });

  it('bad values name the field', () => {
    expect(() => parseSince('yesterday', now)).toThrow(/^since: expected/);
    expect(() => parseSince('2026-13-45', now, 'from')).toThrow(/^from: expected/);
    expect(() => parseLimit('0', 50)).toThrow('limit: expected a whole number from 1 to 500');
    expect(() => parseLimit('2.5', 50)).toThrow('limit:');
    expect(parseLimit(undefined, 50)).toBe(50);
    expect(parseLimit('7', 50)).toBe(7);
  });
});
