import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import YAML from 'yaml';

export interface Variant {
  /** Folder and product name. */
  name: string;
  productIds: string[];
  /** Deep-merged over demo-license's product.yaml. */
  patch?: Record<string, unknown>;
  /** scripts/<hook>.sh replaced by this content. */
  scripts?: Record<string, string>;
}

function merge(
  base: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const out = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && base[k] && typeof base[k] === 'object'
        ? merge(base[k] as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

/** A templates directory holding demo-license and variants of it (same package, other behaviour). */
export function makeTemplates(variants: Variant[]): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'kgd-templates-'));
  const source = path.resolve('templates/demo-license');
  cpSync(source, path.join(dir, 'demo-license'), { recursive: true });
  const base = YAML.parse(readFileSync(path.join(source, 'product.yaml'), 'utf8')) as Record<
    string,
    unknown
  >;
  for (const v of variants) {
    const target = path.join(dir, v.name);
    cpSync(source, target, { recursive: true });
    const product = merge(base, { ...(v.patch ?? {}), name: v.name });
    (product.marketplace as Record<string, unknown>).productIds = v.productIds;
    writeFileSync(path.join(target, 'product.yaml'), YAML.stringify(product));
    for (const [hook, content] of Object.entries(v.scripts ?? {})) {
      writeFileSync(path.join(target, 'package', 'scripts', `${hook}.sh`), content, {
        mode: 0o755,
      });
    }
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
