// Starts embedded PostgreSQL in the given data dir (with the binaries of the given native/ folder,
// if any), prints READY, then waits to be killed.
import { startEmbeddedPostgres } from '../../src/platform/db/embedded-postgres.js';
import { createSilentLogger } from '../../src/platform/logger.js';

await startEmbeddedPostgres({
  dataDir: process.argv[2]!,
  logger: createSilentLogger(),
  ...(process.argv[3] ? { nativeDir: process.argv[3] } : {}),
});
process.stdout.write('READY\n');
setInterval(() => {}, 1 << 30);
