import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox, SecretBoxError } from './secrets.js';

describe('secrets at rest', () => {
  const box = createSecretBox(randomBytes(32));

  it('round-trips and never contains the plaintext', () => {
    const sealed = box.seal('Admin-Pass-123', 'instance:i1:password');
    expect(sealed).not.toContain('Admin-Pass');
    expect(sealed.startsWith(`kgd1.${box.keyId}.`)).toBe(true);
    expect(box.open(sealed, 'instance:i1:password')).toBe('Admin-Pass-123');
  });

  it('binds the purpose: a ciphertext moved to another field does not open', () => {
    const sealed = box.seal('x', 'instance:i1:password');
    expect(() => box.open(sealed, 'instance:i2:password')).toThrow(SecretBoxError);
  });

  it('names the master key mismatch and detects tampering', () => {
    const other = createSecretBox(randomBytes(32));
    const sealed = box.seal('x', 'p');
    expect(() => other.open(sealed, 'p')).toThrow(/check KGD_MASTER_KEY/);
    // The second-to-last character (all of its bits are data; the last one's low bits are not).
    const flipped = sealed.slice(0, -2) + (sealed.at(-2) === 'A' ? 'B' : 'A') + sealed.slice(-1);
    expect(flipped).not.toBe(sealed);
    expect(() => box.open(flipped, 'p')).toThrow(SecretBoxError);
    expect(() => box.open('garbage', 'p')).toThrow(/not a sealed secret/);
  });

  it('opens under a previous master key during a rotation and seals under the current one', () => {
    const oldKey = randomBytes(32);
    const old = createSecretBox(oldKey);
    const sealedOld = old.seal('s', 'p');
    const rotating = createSecretBox(randomBytes(32), [oldKey]);
    expect(rotating.open(sealedOld, 'p')).toBe('s');
    expect(rotating.isCurrent(sealedOld)).toBe(false);
    const resealed = rotating.seal('s', 'p');
    expect(rotating.isCurrent(resealed)).toBe(true);
    expect(() => old.open(resealed, 'p')).toThrow(/KGD_MASTER_KEY_PREVIOUS/);
  });
});
