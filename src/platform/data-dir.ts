import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Files the service keeps in its data directory in embedded mode: generated once, mode 0600,
 * never printed. With DATABASE_URL set (shared PostgreSQL) these come from the configuration.
 */
export function ensureDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o755 });
}

/** Reads a generated secret file, creating it (0600) with `generate()` when absent. */
export function readOrCreateSecretFile(file: string, generate: () => string): string {
  if (existsSync(file)) {
    const mode = statSync(file).mode & 0o777;
    if (mode & 0o077) chmodSync(file, 0o600);
    return readFileSync(file, 'utf8').trim();
  }
  mkdirSync(path.dirname(file), { recursive: true });
  const value = generate();
  writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
  return value;
}

export function embeddedMasterKey(dataDir: string): Buffer {
  const text = readOrCreateSecretFile(path.join(dataDir, 'master.key'), () =>
    randomBytes(32).toString('base64'),
  );
  const key = Buffer.from(text, 'base64');
  if (key.length !== 32) {
    throw new Error(`${path.join(dataDir, 'master.key')} does not hold a 32-byte base64 key`);
  }
  return key;
}

/** In embedded mode without KGD_MARKETPLACE_KEYS, a generated key the simulator can use. */
export function embeddedMarketplaceKey(dataDir: string): string {
  return readOrCreateSecretFile(path.join(dataDir, 'marketplace.key'), () =>
    randomBytes(24).toString('base64url'),
  );
}
