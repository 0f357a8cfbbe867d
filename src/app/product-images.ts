import path from 'node:path';
import type { ProductCatalog } from '../products/catalog.js';

/** The private images of the image products: what the simulator must know to boot them. */
export function productImages(catalog: ProductCatalog) {
  return catalog.products
    .filter((p) => p.kind === 'image')
    .flatMap((p) =>
      Object.values(p.compute.images).map((id) => ({
        id,
        name: `${p.name} (private image)`,
        filesDir: path.join(p.dir, 'image'),
      })),
    );
}
