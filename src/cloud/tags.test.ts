import { describe, expect, it } from 'vitest';
import { fromTagList, hasTags, kgdTags, toStarTags, toTagList, validateTags } from './tags.js';

describe('tags', () => {
  it('builds the project tags and their wire forms', () => {
    const tags = kgdTags({ instanceId: 'kgi-1', orderId: 'CS1' });
    expect(tags).toEqual({ 'kgd-managed': 'true', 'kgd-instance': 'kgi-1', 'kgd-order': 'CS1' });
    expect(toStarTags(tags)).toContain('kgd-instance*kgi-1');
    expect(fromTagList(toTagList(tags))).toEqual(tags);
    expect(fromTagList(['kgd-instance=kgi-1', 'a*b', 'bare'])).toEqual({
      'kgd-instance': 'kgi-1',
      a: 'b',
      bare: '',
    });
    expect(hasTags(tags, { 'kgd-instance': 'kgi-1' })).toBe(true);
    expect(hasTags(tags, { 'kgd-instance': 'kgi-2' })).toBe(false);
  });

  it('rejects values the cloud would refuse, naming the tag', () => {
    expect(() => validateTags({ 'kgd-instance': 'a*b' })).toThrow(/kgd-instance/);
    expect(() => validateTags({ 'bad key': 'x' })).toThrow(/bad key/);
  });
});
