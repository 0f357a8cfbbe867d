#!/usr/bin/env node
// The `kgd` command. `#cli` (package.json "imports") is the compiled CLI in dist/, which
// `npm run build` writes and `prepare` builds on `npm ci`; under the `development` condition
// (`npm run dev`, through tsx) it is the TypeScript sources, with no build between a change and a run.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// DBOS's schema migrations trip a pg deprecation notice on every start; it is not ours to fix
// and only confuses operators. Every other warning still prints.
const emitWarning = process.emitWarning;
process.emitWarning = (warning, ...rest) => {
  if (String(warning).includes('client is already executing a query')) return;
  return emitWarning.call(process, warning, ...rest);
};

const cli = import.meta.resolve('#cli');
if (!existsSync(fileURLToPath(cli))) {
  process.stderr.write('kgd: not built: run npm run build\n');
  process.exit(78); // the exit code of every other setup problem (exitCodes.config)
}
const { runCli } = await import(cli);
process.exitCode = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
