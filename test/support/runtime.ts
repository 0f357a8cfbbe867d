import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { openRuntime, type Runtime } from '../../src/app/runtime.js';

/**
 * A service runtime on a test database, opened the way `kgd serve` opens it (openRuntime over
 * environment variables), logging into memory: `lines` holds what it logged.
 */
export async function openTestRuntime(options: {
  databaseUrl: string;
  masterKey?: Buffer;
  keys?: string[];
  env?: Record<string, string>;
}): Promise<Runtime & { lines: string[]; masterKey: Buffer }> {
  const masterKey = options.masterKey ?? randomBytes(32);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'kgd-runtime-'));
  const lines: string[] = [];
  const logDestination = new Writable({
    write(chunk, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(line);
      if (lines.length > 5000) lines.splice(0, lines.length - 5000);
      done();
    },
  });
  const runtime = await openRuntime(
    {
      DATABASE_URL: options.databaseUrl,
      KGD_MASTER_KEY: masterKey.toString('base64'),
      KGD_MARKETPLACE_KEYS: (options.keys ?? ['test-key-0001']).join(','),
      KGD_DATA_DIR: dataDir,
      KGD_PUBLIC_URL: 'https://deploy.example.com',
      KGD_LOG_LEVEL: 'info',
      KGD_DB_POOL_SIZE: '20',
      KGD_TEMPLATES_DIR: path.resolve('templates'),
      ...options.env,
    },
    { applicationName: 'kgd-test', logDestination },
  );
  return {
    ...runtime,
    lines,
    masterKey,
    async close() {
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
