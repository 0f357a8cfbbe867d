import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogOf, loadProductCatalog } from './catalog.js';
import { productSchema } from './product-schema.js';
import { skuChangeRefusal } from './sku-changes.js';

const samples = loadProductCatalog(path.resolve(import.meta.dirname, '../../templates'));
const license = samples.byName('demo-license')!;
const month = (skuCode: string) => ({ productId: 'OFFI-DEMO-LICENSE-MONTH', skuCode });

describe('sku changes at renewal (changeInstanceCheck)', () => {
  it('by default allows any change between the skus of the same product, across period types', () => {
    expect(skuChangeRefusal(samples, month('basic'), month('pro'))).toBeUndefined();
    expect(skuChangeRefusal(samples, month('pro'), month('basic'))).toBeUndefined();
    expect(
      skuChangeRefusal(samples, month('basic'), {
        productId: 'OFFI-DEMO-LICENSE-YEAR',
        skuCode: 'pro',
      }),
    ).toBeUndefined();
  });

  it('refuses a target another product serves, or no product of this seller', () => {
    expect(
      skuChangeRefusal(samples, month('basic'), {
        productId: 'OFFI-DEMO-IMAGE',
        skuCode: 'standard',
      }),
    ).toMatch(/another product \(demo-image\)/);
    expect(skuChangeRefusal(samples, month('basic'), month('gold'))).toMatch(
      /sku gold is not one this seller deploys/,
    );
    expect(skuChangeRefusal(samples, { productId: null, skuCode: null }, month('pro'))).toMatch(
      /not in the catalog/,
    );
  });

  it('follows marketplace.skuChanges when the product lists the allowed changes', () => {
    const upOnly = {
      ...license,
      marketplace: { ...license.marketplace, skuChanges: { basic: ['pro'], pro: [] } },
    };
    const catalog = catalogOf([upOnly]);
    expect(skuChangeRefusal(catalog, month('basic'), month('pro'))).toBeUndefined();
    expect(skuChangeRefusal(catalog, month('pro'), month('basic'))).toBe(
      'sku pro may not change to basic (demo-license marketplace.skuChanges)',
    );
    // Staying on the same sku (a quantity change) is not a sku change.
    expect(skuChangeRefusal(catalog, month('pro'), month('pro'))).toBeUndefined();
  });

  it('rejects a skuChanges rule naming an undefined sku', () => {
    const { dir: _d, file: _f, version: _v, packagePath: _p, ...raw } = license;
    const r = productSchema.safeParse({
      ...raw,
      marketplace: { ...raw.marketplace, skuChanges: { basic: ['platinum'] } },
    });
    expect(r.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['marketplace.skuChanges.basic', 'sku platinum is not one of marketplace.skus'],
    ]);
  });
});
