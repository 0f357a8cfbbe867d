import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Field names whose values are secrets wherever they appear. pino removes them by path; the
 * scrubber below additionally replaces every registered secret *value* in the serialized line,
 * so a secret that reaches a log through an unexpected field (an error message, an SDK dump)
 * is still never written.
 */
const secretFields = [
  'password',
  'adminPass',
  'admin_pass',
  'new_password',
  'authToken',
  'signature',
  'accessKey',
  'secretKey',
  'sk',
  'ak',
  'key',
  'keys',
  'privateKey',
  'private_key',
  'masterKey',
  'token',
  'authorization',
  'Authorization',
  // Temporary credentials of a buyer's agency (IAM's `credential` body, the SDK's field).
  'securitytoken',
  'securityToken',
  'security_token',
  'cookie',
  'mobilePhone',
  'email',
  'userName',
  'user_data',
];

const redactPaths = [
  ...secretFields,
  ...secretFields.map((f) => `*.${f}`),
  ...secretFields.map((f) => `*.*.${f}`),
  'req.headers.authorization',
  'headers.authorization',
  'headers["x-auth-token"]',
  'headers["x-security-token"]',
  'headers["X-Security-Token"]',
];

/** Secret values that must never be written, whatever field carries them. */
export interface SecretScrubber {
  add(value: string | undefined | null): void;
  scrub(line: string): string;
}

export function createSecretScrubber(): SecretScrubber {
  const values = new Set<string>();
  let pattern: RegExp | null = null;
  const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return {
    add(value) {
      // Very short values would scrub ordinary words; secrets this short are rejected elsewhere.
      if (!value || value.length < 6 || values.has(value)) return;
      values.add(value);
      const json = JSON.stringify(value).slice(1, -1);
      if (json !== value) values.add(json);
      pattern = new RegExp(
        [...values]
          .sort((a, b) => b.length - a.length)
          .map(escapeRegExp)
          .join('|'),
        'g',
      );
    },
    scrub(line) {
      return pattern ? line.replace(pattern, '[REDACTED]') : line;
    },
  };
}

export interface LoggerOptions {
  level?: string;
  scrubber?: SecretScrubber;
  /** Where lines go; stdout by default. Tests pass a collector. */
  destination?: NodeJS.WritableStream;
  name?: string;
}

/**
 * The project's one logger: JSON lines, secrets redacted by field name and by value.
 *
 * @example
 *   const scrubber = createSecretScrubber();
 *   scrubber.add(config.cloud.sk);
 *   const log = createLogger({ level: 'info', scrubber });
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const scrubber = options.scrubber ?? createSecretScrubber();
  const out = options.destination ?? process.stdout;
  const stream = new Writable({
    write(chunk, _enc, done) {
      out.write(scrubber.scrub(chunk.toString()), done);
    },
  });
  return pino(
    {
      level: options.level ?? 'info',
      name: options.name ?? 'kgd',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactPaths, censor: '[REDACTED]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
}

/** A logger that drops everything, for tests that do not look at logs. */
export function createSilentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** A logger whose lines are kept in memory, for tests that assert on (or search) the logs. */
export function createMemoryLogger(scrubber?: SecretScrubber): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', destination, scrubber }), lines };
}
