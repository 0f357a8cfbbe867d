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

/**
 * One tag format every resource accepts (huawei-cloud.md §5.7): ECS tags refuse `= * < > \ , | /`
 * and control characters; VPC, subnet and security-group tags take only letters, digits, `_`, `-`
 * (and `.` in values). Their intersection: key `[A-Za-z0-9_-]{1,36}`, value `[A-Za-z0-9_.-]{0,43}`,
 * at most 10 tags.
 */
export function validateTags(tags: ResourceTags): void {
  const entries = Object.entries(tags);
  if (entries.length > 10) throw new TypeError(`${entries.length} tags: at most 10 are allowed`);
  for (const [k, v] of entries) {
    if (!/^[A-Za-z0-9_-]{1,36}$/.test(k)) {
      throw new TypeError(`tag key "${k}" must be 1-36 letters, digits, _ -`);
    }
    if (!/^[A-Za-z0-9_.-]{0,43}$/.test(v)) {
      throw new TypeError(`tag ${k}: value "${v}" must be up to 43 letters, digits, _ . -`);
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
