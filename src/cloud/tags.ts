import type { ResourceTags } from './cloud-api.js';

/**
 * The tags every resource the project creates carries, and their wire forms. ECS takes
 * `server_tags: [{key, value}]` and lists them back as `"key=value"` strings; VPC v2 create
 * bodies take `"key*value"` strings; VPC v3 and the v2 tag APIs take `{key, value}` objects.
 * Lookups go through the v2 `resource_instances` tag filter, which every region has.
 */
export const tagKeys = {
  managed: 'kgd-managed',
  instance: 'kgd-instance',
  order: 'kgd-order',
} as const;

export function kgdTags(ids: { instanceId: string; orderId?: string }): ResourceTags {
  const tags: ResourceTags = { [tagKeys.managed]: 'true', [tagKeys.instance]: ids.instanceId };
  if (ids.orderId) tags[tagKeys.order] = ids.orderId;
  return tags;
}

/** ECS and VPC tag rules: key up to 36 chars, value up to 43, no `=`/`*`/`,` separators. */
export function validateTags(tags: ResourceTags): void {
  for (const [k, v] of Object.entries(tags)) {
    if (!/^[A-Za-z0-9_.-]{1,36}$/.test(k)) {
      throw new TypeError(`tag key "${k}" must be 1-36 letters, digits, _ . -`);
    }
    if (!/^[A-Za-z0-9_.:/@-]{0,43}$/.test(v)) {
      throw new TypeError(`tag ${k}: value "${v}" must be up to 43 letters, digits, _ . : / @ -`);
    }
  }
}

export const toTagList = (tags: ResourceTags) =>
  Object.entries(tags).map(([key, value]) => ({ key, value }));

export const toStarTags = (tags: ResourceTags) => Object.entries(tags).map(([k, v]) => `${k}*${v}`);

export function fromTagList(list: unknown): ResourceTags {
  const out: ResourceTags = {};
  if (!Array.isArray(list)) return out;
  for (const t of list) {
    if (typeof t === 'string') {
      const i = t.search(/[=*]/);
      if (i > 0) out[t.slice(0, i)] = t.slice(i + 1);
      else if (t) out[t] = '';
    } else if (t && typeof t === 'object' && typeof (t as { key?: unknown }).key === 'string') {
      const { key, value } = t as { key: string; value?: unknown };
      out[key] = typeof value === 'string' ? value : '';
    }
  }
  return out;
}

export function hasTags(actual: ResourceTags, wanted: ResourceTags): boolean {
  return Object.entries(wanted).every(([k, v]) => actual[k] === v);
}
