import { describe, expect, it } from 'vitest';
import { formatPorts, missingRanges, normalizeRanges, parsePorts } from './port-ranges.js';

describe('port ranges', () => {
  it('parses and formats', () => {
    expect(parsePorts('22, 80-81,443')).toEqual([
      { min: 22, max: 22 },
      { min: 80, max: 81 },
      { min: 443, max: 443 },
    ]);
    expect(parsePorts('')).toEqual([]);
    expect(formatPorts(parsePorts('22,80-81'))).toBe('22,80-81');
  });

  it('rejects bad parts by name', () => {
    expect(() => parsePorts('22,0')).toThrow(/"0"/);
    expect(() => parsePorts('90-80')).toThrow(/"90-80"/);
    expect(() => parsePorts('70000')).toThrow(/"70000"/);
    expect(() => parsePorts('ssh')).toThrow(/"ssh"/);
  });

  it('merges and finds what is missing', () => {
    expect(normalizeRanges(parsePorts('80,81,82-90,22'))).toEqual([
      { min: 22, max: 22 },
      { min: 80, max: 90 },
    ]);
    expect(formatPorts(missingRanges(parsePorts('22,80-90'), parsePorts('22,85')))).toBe(
      '80-84,86-90',
    );
    expect(missingRanges(parsePorts('22'), parsePorts('1-65535'))).toEqual([]);
    expect(formatPorts(missingRanges(parsePorts('8000-8100'), []))).toBe('8000-8100');
  });
});
