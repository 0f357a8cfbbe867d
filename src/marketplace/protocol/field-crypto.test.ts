import { describe, expect, it } from 'vitest';
import {
  decryptField,
  encryptField,
  FieldDecryptError,
  randomIv,
  sha1prng,
} from './field-crypto.js';

/** Spec §2.4 vectors: Key test-access-key-123, iv AbCdEfGh12345678, plaintext admin@example.com. */
describe('field encryption (spec §2.4)', () => {
  const key = 'test-access-key-123';

  it('derives the AES keys with Java SHA1PRNG', () => {
    expect(sha1prng(Buffer.from(key), 16).toString('hex')).toBe('c9e3a8e3a2c2e5497d975cbdea2fbd5a');
    expect(sha1prng(Buffer.from(key), 32).toString('hex')).toBe(
      'c9e3a8e3a2c2e5497d975cbdea2fbd5aa15283155960dbd281c147b0e511caee',
    );
  });

  it('matches the AES-128 vector (encryptType 2)', () => {
    expect(encryptField('admin@example.com', key, 2, 'AbCdEfGh12345678')).toBe(
      'AbCdEfGh12345678mVSzNtqMU1R0J4pa+8NXMgehDbLjANBkmXOGeY+16gc=',
    );
  });

  it('matches the AES-256 vector (encryptType 1)', () => {
    expect(encryptField('admin@example.com', key, 1, 'AbCdEfGh12345678')).toBe(
      'AbCdEfGh12345678JokUXgj2GkwuUfl2EuTtpPMVkKuAzIkIVW6KNQvS3Cs=',
    );
  });

  it('round-trips with a random iv of 16 alphanumerics', () => {
    const iv = randomIv();
    expect(iv).toMatch(/^[A-Za-z0-9]{16}$/);
    const sealed = encryptField('Pässword-1', key, 1);
    expect(decryptField(sealed, key, 1)).toBe('Pässword-1');
    expect(sealed.length).toBeLessThanOrEqual(128);
  });

  it('refuses malformed or foreign ciphertext with a typed error', () => {
    expect(() => decryptField('short', key, 1)).toThrow(FieldDecryptError);
    expect(() => decryptField(encryptField('x', key, 1), 'another-key-000', 1)).toThrow(
      FieldDecryptError,
    );
  });

  it('keeps producing bytes beyond one SHA-1 block (state update with carries)', () => {
    const long = sha1prng(Buffer.from(key), 64);
    expect(long.subarray(0, 32).toString('hex')).toBe(
      sha1prng(Buffer.from(key), 32).toString('hex'),
    );
    expect(long.length).toBe(64);
  });
});
