import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { CliError, type CliIo, exitCodes } from '../platform/cli-io.js';
import { templatesDir } from '../platform/config.js';
import { type LoadedProduct, loadProductCatalog, TemplateError } from './catalog.js';

/**
 * `kgd templates check [--dir templates] [--json]`: the checks the service runs at start (schema,
 * package layout, variables, productIds claimed twice), plus `bash -n` on every hook script a
 * seller ships in a folder, so a typo fails here and not on a buyer's server. Exit 1 lists every
 * problem, each naming the file, the field and what is expected.
 *
 * @example
 *   kgd templates check --dir ./templates
 */
export interface TemplatesCommandDeps {
  /**
   * Why the deployer cannot serve a region with the template's `regions.<id>` values (the cloud
   * adapter's region table, wired by the composition root); empty when it can.
   */
  regionGaps(region: string, override: { dns?: string[]; eipType?: string }): string[];
}

export function registerTemplatesCommand(
  program: Command,
  io: CliIo,
  deps: TemplatesCommandDeps,
): void {
  const templates = program
    .command('templates')
    .description('product definitions: templates/<name>/product.yaml and their packages');
  templates
    .command('check')
    .description('validate every product definition and its package; exit 1 listing each problem')
    .option(
      '--dir <path>',
      'the templates folder (default: $KGD_TEMPLATES_DIR, else ./templates, else the shipped samples)',
    )
    .option('--json', 'print the result as JSON')
    .action((flags: { dir?: string; json?: boolean }) => {
      const dir = flags.dir ?? templatesDir(io.env.KGD_TEMPLATES_DIR);
      const result = checkTemplates(dir, deps);
      if (flags.json) {
        io.stdout.write(`${JSON.stringify({ dir, ...result }, null, 2)}\n`);
      } else if (result.ok) {
        printProducts(io, result.products);
        for (const w of result.warnings) io.stdout.write(`warning: ${w}\n`);
        const n = result.products.length;
        io.stdout.write(`${n} ${n === 1 ? 'product' : 'products'} OK in ${dir}\n`);
      } else {
        for (const p of result.problems) io.stderr.write(`  - ${p}\n`);
      }
      if (!result.ok) {
        const n = result.problems.length;
        throw new CliError(`${n} ${n === 1 ? 'problem' : 'problems'} in ${dir}`, exitCodes.failure);
      }
    });
}

interface ProductSummary {
  name: string;
  kind: string;
  file: string;
  version: string;
  productIds: string[];
  skus: string[];
}

type CheckResult =
  | { ok: true; products: ProductSummary[]; warnings: string[] }
  | { ok: false; problems: string[] };

function checkTemplates(dir: string, deps: TemplatesCommandDeps): CheckResult {
  let products: LoadedProduct[];
  try {
    products = loadProductCatalog(dir).products;
  } catch (err) {
    if (err instanceof TemplateError) return { ok: false, problems: err.problems };
    throw err;
  }
  const problems = [
    ...products.flatMap((p) => regionProblems(p, deps)),
    ...products.flatMap(checkScriptSyntax),
  ];
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    warnings: products.flatMap(imageWarnings),
    products: products.map((p) => ({
      name: p.name,
      kind: p.kind,
      file: p.file,
      version: p.version,
      productIds: p.marketplace.productIds,
      skus: Object.keys(p.marketplace.skus),
    })),
  };
}

/** Each region the product has an image for must be one the deployer can serve (DNS, EIP type). */
function regionProblems(product: LoadedProduct, deps: TemplatesCommandDeps): string[] {
  return Object.keys(product.compute.images).flatMap((region) =>
    deps
      .regionGaps(region, product.regions[region] ?? {})
      .map((gap) => `${product.file}: compute.images.${region}: ${gap}`),
  );
}

function shellScripts(root: string): string[] {
  if (!existsSync(root) || !statSync(root).isDirectory()) return [];
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.sh') && statSync(path.join(root, f)).isFile())
    .sort();
}

/** `bash -n` (parse only, runs nothing) on the shell scripts of a package or image folder. */
function checkScriptSyntax(product: LoadedProduct): string[] {
  const roots: Array<[string, string]> = [];
  if (product.packagePath) roots.push(['package', product.packagePath]);
  if (product.kind === 'image') roots.push(['image', path.join(product.dir, 'image')]);
  const problems: string[] = [];
  for (const [field, root] of roots) {
    for (const script of shellScripts(root)) {
      try {
        execFileSync('bash', ['-n', script], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
      } catch (err) {
        const stderr = String((err as { stderr?: Buffer }).stderr ?? '').trim();
        const first = stderr.split('\n')[0]?.replace(`${script}: `, '') ?? 'bash -n failed';
        problems.push(`${product.file}: ${field}: ${script}: not valid bash: ${first}`);
      }
    }
  }
  return problems;
}

// image/ is what the simulator puts on a new server's disk; real deployments boot the seller's image.
function imageWarnings(product: LoadedProduct): string[] {
  if (product.kind !== 'image' || !product.firstBoot) return [];
  const installDir = path.join(product.dir, 'image', product.firstBoot.installDir);
  if (existsSync(installDir)) return [];
  return [
    `${product.file}: firstBoot.installDir: ${path.relative(product.dir, installDir)} does not exist: in the simulator the server's disk will not hold the product`,
  ];
}

function printProducts(io: CliIo, products: ProductSummary[]): void {
  const rows = products.map((p) => [
    p.name,
    p.kind,
    p.productIds.join(', '),
    `skus ${p.skus.join(', ')}`,
    `version ${p.version}`,
  ]);
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i]!.length))) ?? [];
  for (const r of rows) {
    io.stdout.write(
      `${r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd()}\n`,
    );
  }
}
