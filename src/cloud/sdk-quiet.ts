import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * The SDK configures log4js, at load time, to print every failed request to stdout: the whole
 * axios config, Authorization header and body (adminPass, user_data) included
 * (huawei-cloud.md §0.3). This turns that output off; the adapter reports failures through the
 * project's redacting logger instead.
 *
 * log4js is process-wide by nature, so this is too; it is idempotent and only touches the log4js
 * instance the SDK core itself resolves (not a copy our own dependency tree might hold).
 */
export function silenceSdkLogging(): void {
  const coreEntry = require.resolve('@huaweicloud/huaweicloud-sdk-core');
  // Loading the core first makes its own log4js configuration run before ours replaces it.
  require(coreEntry);
  const log4js = createRequire(coreEntry)('log4js') as {
    configure(config: unknown): unknown;
  };
  log4js.configure({
    appenders: { discard: { type: 'stdout' } },
    categories: { default: { appenders: ['discard'], level: 'off' } },
  });
}
