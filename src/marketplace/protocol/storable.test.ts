import { describe, expect, it } from 'vitest';
import { firstUnstorable, isStorable, shown } from './storable.js';

const unstorablePath = (value: unknown) => firstUnstorable(value)?.path;

describe('storable text', () => {
  it('refuses NUL and unpaired surrogates, keeps everything else', () => {
    expect(isStorable('订单-ORDER 😀 \t\n')).toBe(true);
    expect(isStorable('a\u0000b')).toBe(false);
    expect(isStorable('\ud800')).toBe(false);
    expect(isStorable('x\udc00')).toBe(false);
  });

  it('names the first unstorable key or value at any depth', () => {
    expect(unstorablePath({ a: 'ok', b: [1, 'fine', { c: 'a\u0000' }] })).toBe('b[2].c');
    expect(unstorablePath({ 'bad\u0000key': 1 })).toBe('bad\\0key');
    expect(unstorablePath({ list: ['\ud800'] })).toBe('list[0]');
    expect(unstorablePath({ a: 'ok', n: 1, z: null, t: true })).toBeUndefined();
    expect(unstorablePath('\u0000')).toBe('(value)');
    expect(shown('\ud800x')).toBe('\ufffdx');
  });
});
