import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the installed package lives and which version it is. This module sits two folders below
 * the package root both as source (src/platform/) and compiled (dist/platform/), so the same
 * relative path finds package.json and the sample templates in a clone and in a global install.
 */
const packageRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The version in package.json: `kgd --version`, and the workflows' pinned application version. */
export const packageVersion: string = (
  JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }
).version;

/** The sample products shipped in the package (demo-license, demo-image). */
export const bundledTemplatesDir = path.join(packageRoot, 'templates');
