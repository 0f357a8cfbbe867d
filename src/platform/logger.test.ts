import { describe, expect, it } from 'vitest';
import { createMemoryLogger, createSecretScrubber } from './logger.js';

describe('logger', () => {
  it('redacts secret fields by name at any depth', () => {
    const { logger, lines } = createMemoryLogger();
    logger.info(
      {
        password: 'p4ss-word',
        server: { adminPass: 'Admin-Pass-1' },
        req: { headers: { authorization: 'SDK-HMAC-SHA256 Access=x' } },
      },
      'created',
    );
    const line = lines.join('\n');
    expect(line).not.toContain('p4ss-word');
    expect(line).not.toContain('Admin-Pass-1');
    expect(line).not.toContain('SDK-HMAC');
    expect(line).toContain('[REDACTED]');
  });

  it('scrubs registered secret values wherever they appear, JSON-escaped too', () => {
    const scrubber = createSecretScrubber();
    scrubber.add('sk-very-secret-value');
    scrubber.add('quote"inside-secret');
    scrubber.add('short'); // too short to scrub safely: ignored
    const { logger, lines } = createMemoryLogger(scrubber);
    logger.error(
      { err: 'request failed: body {"sk":"sk-very-secret-value"}', other: 'quote"inside-secret' },
      'failure with sk-very-secret-value in the message',
    );
    const line = lines.join('\n');
    expect(line).not.toContain('sk-very-secret-value');
    expect(line).not.toContain('inside-secret');
    expect(line.match(/\[REDACTED\]/g)?.length).toBe(3);
  });
});
