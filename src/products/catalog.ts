import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { badCidr, coversMetadata, metadataAddress } from '../platform/address-guard.js';
import { allHooks, type Product, productSchema, type Sku } from './product-schema.js';
import { accessVariables, licenseVariables, templateVariables } from './render.js';

/**
 * The products this service deploys, loaded from `templates/<name>/product.yaml` and checked as a
 * whole: schema, package layout, template variables, and no productId claimed twice.
 *
 * @example
 *   const catalog = loadProductCatalog('templates');   // throws TemplateError listing every problem
 *   const match = catalog.resolve(instance.product_id, instance.sku_code);
 */
export interface LoadedProduct extends Product {
  dir: string;
  file: string;
  /** Content hash of the definition and its package: the template version a deployment used. */
  version: string;
  /** Absolute path of the package source (directory or archive), license products only. */
  packagePath?: string;
}

interface ProductMatch {
  product: LoadedProduct;
  skuCode: string;
  sku: Sku;
}

export interface ProductCatalog {
  products: LoadedProduct[];
  resolve(productId: string | null, skuCode: string | null): ProductMatch | undefined;
  byName(name: string): LoadedProduct | undefined;
}

export class TemplateError extends Error {
  override name = 'TemplateError';
  constructor(readonly problems: string[]) {
    super(`invalid product templates:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

function hashTree(root: string, hash: ReturnType<typeof createHash>): void {
  const st = statSync(root);
  if (st.isFile()) {
    hash.update(readFileSync(root));
    return;
  }
  for (const entry of readdirSync(root).sort()) {
    hash.update(`\0${entry}\0`);
    hashTree(path.join(root, entry), hash);
  }
}

/** `inside` is `root` or below it. */
const within = (root: string, inside: string) => {
  const rel = path.relative(root, inside);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

/**
 * The first path of `source` (itself, or an entry of a directory package) that resolves
 * outside the template folder, through `..`, an absolute path or a symbolic link; undefined if
 * none does. Everything a package holds is uploaded to buyers' servers: a link to the host's
 * own files must never ship.
 */
function escapesFolder(dir: string, source: string): string | undefined {
  const root = realpathSync(dir);
  const walk = (p: string): string | undefined => {
    if (!within(root, realpathSync(p))) return p;
    if (!lstatSync(p).isDirectory()) return undefined;
    for (const entry of readdirSync(p)) {
      const found = walk(path.join(p, entry));
      if (found) return found;
    }
    return undefined;
  };
  if (!within(path.resolve(dir), source)) return source;
  return walk(source);
}

function checkPackage(
  file: string,
  product: Product,
  dir: string,
  problems: string[],
): string | undefined {
  if (!product.package) return undefined;
  const source = path.resolve(dir, product.package.source);
  if (!existsSync(source)) {
    problems.push(`${file}: package.source: ${product.package.source} does not exist`);
    return undefined;
  }
  const outside = escapesFolder(dir, source);
  if (outside) {
    problems.push(
      `${file}: package.source: ${outside} is outside the template folder ${dir} (a package uploads only files of its own folder)`,
    );
    return undefined;
  }
  let entries: string[];
  if (statSync(source).isDirectory()) {
    entries = [
      ...(existsSync(path.join(source, 'bin')) ? ['bin/'] : []),
      ...(existsSync(path.join(source, 'scripts'))
        ? readdirSync(path.join(source, 'scripts')).map((s) => `scripts/${s}`)
        : []),
    ];
  } else if (/\.(tar\.gz|tgz|tar)$/.test(source)) {
    try {
      entries = execFileSync('tar', ['-tf', source], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .map((e) => e.replace(/^\.\//, ''));
    } catch (err) {
      problems.push(
        `${file}: package.source: cannot list ${product.package.source}: ${(err as Error).message}`,
      );
      return undefined;
    }
  } else {
    problems.push(
      `${file}: package.source: expected a directory, .tar.gz or .tar (KooGallery layout: bin/ and scripts/)`,
    );
    return undefined;
  }
  if (!entries.some((e) => e.startsWith('bin/')))
    problems.push(
      `${file}: package: no bin/ at the top level (the archive must not have a top-level folder)`,
    );
  const scripts = entries
    .filter((e) => /^scripts\/[^/]+$/.test(e))
    .map((e) => e.slice('scripts/'.length));
  for (const required of ['install.sh', 'start.sh']) {
    if (!scripts.includes(required))
      problems.push(`${file}: package: scripts/${required} is required`);
  }
  for (const s of scripts) {
    if (s.endsWith('.sh') && !allHooks.includes(s.slice(0, -3) as never)) {
      problems.push(
        `${file}: package: scripts/${s} is not a lifecycle hook (expected ${allHooks.map((h) => `${h}.sh`).join(', ')})`,
      );
    }
  }
  return source;
}

function checkVariables(
  file: string,
  field: string,
  value: string | undefined,
  allowed: string[],
  problems: string[],
) {
  if (!value) return;
  for (const v of templateVariables(value)) {
    if (!allowed.includes(v))
      problems.push(
        `${file}: ${field}: unknown variable {{${v}}} (available: ${allowed.join(', ')})`,
      );
  }
}

function loadProduct(file: string, problems: string[]): LoadedProduct | undefined {
  const dir = path.dirname(file);
  let raw: unknown;
  try {
    raw = YAML.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    problems.push(`${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  }
  const parsed = productSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push(`${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
    }
    return undefined;
  }
  const product = parsed.data;
  const before = problems.length;
  if (product.kind === 'license' && !product.package)
    problems.push(`${file}: package: required for a license product`);
  if (product.kind === 'image' && !product.firstBoot)
    problems.push(`${file}: firstBoot: required for an image product`);
  if (product.existingServer && product.kind !== 'license')
    problems.push(`${file}: existingServer: only license products install onto a buyer's server`);
  for (const allowed of product.existingServer?.allowCidrs ?? []) {
    const bad = badCidr(allowed);
    if (bad) problems.push(`${file}: existingServer.allowCidrs: ${bad}`);
    else if (coversMetadata(allowed))
      problems.push(
        `${file}: existingServer.allowCidrs: ${allowed} contains the metadata address ${metadataAddress}, which a buyer may never name`,
      );
  }
  const packagePath = checkPackage(file, product, dir, problems);
  checkVariables(file, 'access.frontEndUrl', product.access.frontEndUrl, accessVariables, problems);
  checkVariables(file, 'access.adminUrl', product.access.adminUrl, accessVariables, problems);
  checkVariables(file, 'access.memo', product.access.memo, accessVariables, problems);
  checkVariables(file, 'license.template', product.license.template, licenseVariables, problems);
  if (problems.length > before) return undefined;
  const hash = createHash('sha256').update(readFileSync(file));
  if (packagePath) hashTree(packagePath, hash);
  // An image product's version follows the content of its image as well.
  if (product.kind === 'image' && existsSync(path.join(dir, 'image')))
    hashTree(path.join(dir, 'image'), hash);

  return { ...product, dir, file, version: hash.digest('hex').slice(0, 12), packagePath };
}

export function loadProductCatalog(templatesDir: string): ProductCatalog {
  const problems: string[] = [];
  if (!existsSync(templatesDir)) throw new TemplateError([`${templatesDir}: no such directory`]);
  const products: LoadedProduct[] = [];
  for (const entry of readdirSync(templatesDir).sort()) {
    const file = path.join(templatesDir, entry, 'product.yaml');
    if (!existsSync(file)) continue;
    const product = loadProduct(file, problems);
    if (product) products.push(product);
  }
  const owner = new Map<string, LoadedProduct>();
  for (const p of products) {
    for (const id of p.marketplace.productIds) {
      const other = owner.get(id);
      if (other)
        problems.push(`${p.file}: marketplace.productIds: ${id} is also served by ${other.file}`);
      owner.set(id, p);
    }
  }
  const names = new Set<string>();
  for (const p of products) {
    if (names.has(p.name)) problems.push(`${p.file}: name: ${p.name} is used twice`);
    names.add(p.name);
  }
  if (problems.length > 0) throw new TemplateError(problems);
  return catalogOf(products);
}

/** A catalog over checked products (loadProductCatalog's; tests' edited copies of them). */
/**
 * The seller's own networks as the templates declare them: the default deny list for servers a
 * buyer names (KGD_BUYER_TARGET_DENY overrides it).
 */
export function sellerVpcCidrs(catalog: Pick<ProductCatalog, 'products'>): string[] {
  const cidrs = catalog.products.flatMap((p) =>
    p.network.mode === 'per-instance' ? [p.network.vpcCidr] : [],
  );
  return [...new Set(cidrs)];
}

export function catalogOf(products: LoadedProduct[]): ProductCatalog {
  const owner = new Map<string, LoadedProduct>();
  for (const p of products) for (const id of p.marketplace.productIds) owner.set(id, p);
  return {
    products,
    byName: (name) => products.find((p) => p.name === name),
    resolve(productId, skuCode) {
      const product = productId ? owner.get(productId) : undefined;
      if (!product) return undefined;
      const code = skuCode ?? Object.keys(product.marketplace.skus)[0]!;
      const sku = product.marketplace.skus[code];
      return sku ? { product, skuCode: code, sku } : undefined;
    },
  };
}
