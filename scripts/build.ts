/**
 * `npm run build`: compiles src/ into dist/ (tsc -b tsconfig.build.json, incremental), copies the
 * non-TypeScript files that modules read beside themselves (the simulator's sandbox-agent.mjs and
 * sandbox-init.sh, located with `new URL(file, import.meta.url)`), and removes what a deleted or
 * renamed source left behind, so dist/ holds exactly what src/ compiles to.
 *
 * `prepare` runs it on `npm ci`; the integration tests' global setup and the scripts that spawn
 * `bin/kgd.js` (chaos, fuzz, secrets-scan, bench-gateway, bench-deploy) call build() first, so a
 * child never runs a stale dist/. When nothing changed it takes well under a second.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(import.meta.dirname, '..');
const src = path.join(root, 'src');
const dist = path.join(root, 'dist');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

const isTest = (file: string) => /\.test\.tsx?$/.test(file);
const isTypeScript = (file: string) => /\.tsx?$/.test(file);

/** Every file under dir, as paths relative to it. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

/**
 * Builds dist/ from src/; throws with tsc's diagnostics when the sources do not compile.
 * Returns how many files dist/ holds and how long it took.
 */
export function build(): { files: number; seconds: number } {
  const started = performance.now();
  const r = spawnSync(process.execPath, [tsc, '-b', 'tsconfig.build.json'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    throw new Error(`tsc -b tsconfig.build.json failed:\n${r.stdout}${r.stderr}`.trimEnd());
  }
  // What dist/ should hold: a .js per module (written by tsc), every other file copied as it is.
  const expected = new Set<string>();
  for (const file of files(src)) {
    if (isTest(file) || file.endsWith('.d.ts')) continue;
    if (isTypeScript(file)) {
      expected.add(file.replace(/\.tsx?$/, '.js'));
      continue;
    }
    expected.add(file);
    const from = path.join(src, file);
    const to = path.join(dist, file);
    if ((statOrNull(to)?.mtimeMs ?? -1) >= statSync(from).mtimeMs) continue;
    mkdirSync(path.dirname(to), { recursive: true });
    copyFileSync(from, to);
  }
  for (const file of files(dist)) {
    if (file === '.tsbuildinfo' || expected.has(file)) continue;
    rmSync(path.join(dist, file));
  }
  removeEmptyDirs(dist);
  return { files: expected.size, seconds: (performance.now() - started) / 1000 };
}

function statOrNull(file: string) {
  try {
    return statSync(file);
  } catch {
    return null;
  }
}

function removeEmptyDirs(dir: string) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) removeEmptyDirs(path.join(dir, e.name));
  }
  if (dir !== dist && readdirSync(dir).length === 0) rmdirSync(dir);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const built = build();
    process.stdout.write(`built dist/: ${built.files} files in ${built.seconds.toFixed(1)} s\n`);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
