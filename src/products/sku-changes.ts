import type { ProductCatalog } from './catalog.js';

interface ProductSku {
  productId: string | null;
  skuCode: string | null;
}

/**
 * Whether a deployment of `from` may become `to` at renewal, by the product's rules: both must be
 * skus of the same product definition, and `marketplace.skuChanges` (when given) must list the
 * change. Returns why not, or undefined when the change is allowed.
 *
 * @example
 *   skuChangeRefusal(catalog, { productId: 'OFFI-A', skuCode: 'basic' }, { productId: 'OFFI-A', skuCode: 'pro' })
 */
export function skuChangeRefusal(
  catalog: ProductCatalog,
  from: ProductSku,
  to: { productId: string; skuCode: string },
): string | undefined {
  const target = catalog.resolve(to.productId, to.skuCode);
  if (!target) return `product ${to.productId} sku ${to.skuCode} is not one this seller deploys`;
  const current = catalog.resolve(from.productId, from.skuCode);
  if (!current)
    return `the instance's product ${from.productId ?? '(not read yet)'} sku ${from.skuCode ?? '(not read yet)'} is not in the catalog`;
  if (current.product.name !== target.product.name)
    return `product ${to.productId} is another product (${target.product.name}); changes stay within ${current.product.name}`;
  const rules = current.product.marketplace.skuChanges;
  if (
    rules &&
    current.skuCode !== target.skuCode &&
    !rules[current.skuCode]?.includes(target.skuCode)
  )
    return `sku ${current.skuCode} may not change to ${target.skuCode} (${current.product.name} marketplace.skuChanges)`;
  return undefined;
}
