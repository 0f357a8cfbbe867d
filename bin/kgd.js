#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx: no build step between a change and a run.
import { register } from 'tsx/esm/api';

// DBOS's schema migrations trip a pg deprecation notice on every start; it is not ours to fix
// and only confuses operators. Every other warning still prints.
const emitWarning = process.emitWarning;
process.emitWarning = (warning, ...rest) => {
  if (String(warning).includes('client is already executing a query')) return;
  return emitWarning.call(process, warning, ...rest);
};

register();
const { runCli } = await import('../src/app/cli.ts');
process.exitCode = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
