import { codes, SimHttpError } from './sim-errors.js';
import type { Tags } from './store.js';

/**
 * VPC, subnet and security-group tags (api-vpc/vpc_tag_0001, huawei-cloud.md §5.7): a key of up
 * to 128 letters, digits, `_`, `-` or Chinese characters; a value of up to 255 of those or `.`;
 * at most 10 on a resource. Anything else: 400 VPC.1801. (The console allows 36 and 43.)
 */
const keyRe = /^[A-Za-z0-9_\-\u4e00-\u9fa5]{1,128}$/;
const valueRe = /^[A-Za-z0-9_.\-\u4e00-\u9fa5]{0,255}$/;

export function checkVpcTag(key: string, value: string): void {
  if (!keyRe.test(key))
    throw new SimHttpError(400, codes.vpcBadTag, `Invalid tag key: ${JSON.stringify(key)}.`);
  if (!valueRe.test(value))
    throw new SimHttpError(
      400,
      codes.vpcBadTag,
      `Invalid tag value for key ${key}: ${JSON.stringify(value)}.`,
    );
}

export function checkTagCount(tags: Tags): void {
  if (Object.keys(tags).length > 10)
    throw new SimHttpError(400, codes.vpcBadTag, 'A resource can have at most 10 tags.');
}

/** VPC v1 create bodies carry tags as `"key*value"` strings; each checked as above. */
export function checkStarTags(list: string[] | undefined): Tags {
  const out: Tags = {};
  for (const t of list ?? []) {
    const i = t.indexOf('*');
    if (i <= 0)
      throw new SimHttpError(
        400,
        codes.vpcBadTag,
        `Invalid tag ${JSON.stringify(t)}: expected "key*value".`,
      );
    const key = t.slice(0, i);
    const value = t.slice(i + 1);
    checkVpcTag(key, value);
    out[key] = value;
  }
  checkTagCount(out);
  return out;
}

export const tagList = (tags: Tags) => Object.entries(tags).map(([key, value]) => ({ key, value }));
