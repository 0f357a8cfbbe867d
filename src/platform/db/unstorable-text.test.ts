import { describe, expect, it } from 'vitest';
import { isUnstorableText } from './database.js';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('isUnstorableText', () => {
  it('names the text PostgreSQL refuses to store: a client error, not the service', () => {
    expect(
      isUnstorableText(pgError('22021', 'invalid byte sequence for encoding "UTF8": 0x00')),
    ).toBe(true);
    expect(isUnstorableText(pgError('22P05', 'unsupported Unicode escape sequence'))).toBe(true);
    expect(isUnstorableText(pgError('22P02', 'invalid input syntax for type json'))).toBe(true);
    expect(
      isUnstorableText(new Error('wrapped', { cause: pgError('22021', 'invalid byte sequence') })),
    ).toBe(true);
  });

  it('leaves every other failure a failure of the service', () => {
    expect(isUnstorableText(pgError('22P02', 'invalid input syntax for type uuid'))).toBe(false);
    expect(isUnstorableText(pgError('57P01', 'terminating connection'))).toBe(false);
    expect(isUnstorableText(new Error('boom'))).toBe(false);
    expect(isUnstorableText('22021')).toBe(false);
  });
});
