import type { Tags } from './store.js';

/** VPC v1 create bodies carry tags as `"key*value"` strings (at most 10). */
export function parseStarTags(list: string[] | undefined): Tags {
  const out: Tags = {};
  for (const t of list ?? []) {
    const i = t.indexOf('*');
    if (i > 0) out[t.slice(0, i)] = t.slice(i + 1);
  }
  return out;
}

export const tagList = (tags: Tags) => Object.entries(tags).map(([key, value]) => ({ key, value }));
