import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { Permanent } from '../platform/errors.js';
import type { LoadedProduct } from '../products/catalog.js';
import type { PackageArchive } from './ports.js';

/**
 * The package as one archive to upload: a directory source is packed (deterministically: sorted,
 * fixed owner and mtime, so the same package has the same checksum and uploads are skipped),
 * an archive source is used as it is.
 */
function packageArchive(product: LoadedProduct, workDir: string): PackageArchive {
  const source = product.packagePath;
  if (!source) throw new Permanent(`${product.name} has no package`);
  let file = source;
  if (statSync(source).isDirectory()) {
    const dir = path.join(workDir, 'packages');
    mkdirSync(dir, { recursive: true });
    file = path.join(dir, `${product.name}-${product.version}.tar.gz`);
    if (!existsSync(file)) {
      const tmp = `${file}.${process.pid}.tmp`;
      // gzip -n: no name or timestamp in the header, so the bytes depend on the content only.
      execFileSync('tar', [
        '--sort=name',
        '--mtime=@0',
        '--owner=0',
        '--group=0',
        '--numeric-owner',
        '-I',
        'gzip -n',
        '-cf',
        tmp,
        '-C',
        source,
        '.',
      ]);
      renameSync(tmp, file);
    }
  }
  const sha256 = createHash('sha256').update(readFileSync(file)).digest('hex');
  return { path: file, sha256, format: file.endsWith('.zip') ? 'zip' : 'tar' };
}

/** The steps' package source: archives cached under `workDir`. */
export function createPackageSource(workDir: string) {
  return { archiveOf: (product: LoadedProduct) => packageArchive(product, workDir) };
}
