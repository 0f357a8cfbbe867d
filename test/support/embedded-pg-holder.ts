// Starts embedded PostgreSQL in the given data dir, prints READY, then waits to be killed.
import { startEmbeddedPostgres } from '../../src/platform/db/embedded-postgres.js';
import { createSilentLogger } from '../../src/platform/logger.js';

await startEmbeddedPostgres({ dataDir: process.argv[2]!, logger: createSilentLogger() });
process.stdout.write('READY\n');
setInterval(() => {}, 1 << 30);
