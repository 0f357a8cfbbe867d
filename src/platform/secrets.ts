import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Secrets at rest: AES-256-GCM under the master key, with the purpose of each secret bound as
 * additional authenticated data so a ciphertext cannot be moved to another column or row.
 * Format: `kgd1.<key id>.<base64url(iv | ciphertext | tag)>`.
 *
 * @example
 *   const box = createSecretBox(masterKey);
 *   const sealed = box.seal('s3cret', 'instance:kgi-1:password');
 *   box.open(sealed, 'instance:kgi-1:password'); // 's3cret'
 */
export interface SecretBox {
  seal(plaintext: string | Buffer, purpose: string): string;
  open(sealed: string, purpose: string): string;
  openBuffer(sealed: string, purpose: string): Buffer;
  /** Short fingerprint of the master key, stored with each ciphertext. */
  readonly keyId: string;
  /** Whether `sealed` is sealed under the current master key (a rotation re-seals the others). */
  isCurrent(sealed: string): boolean;
}

export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

const keyIdOf = (key: Buffer) => createHash('sha256').update(key).digest('hex').slice(0, 8);

/**
 * `masterKey` seals; it and `previousKeys` open (during a master key rotation, until
 * `kgd keys rotate-master` has re-sealed everything under the new key).
 */
export function createSecretBox(masterKey: Buffer, previousKeys: Buffer[] = []): SecretBox {
  if (masterKey.length !== 32) throw new SecretBoxError('the master key must be 32 bytes');
  const keyId = keyIdOf(masterKey);
  const keys = new Map<string, Buffer>();
  for (const k of previousKeys) {
    if (k.length !== 32) throw new SecretBoxError('a previous master key must be 32 bytes');
    keys.set(keyIdOf(k), k);
  }
  keys.set(keyId, masterKey);

  const openBuffer = (sealed: string, purpose: string): Buffer => {
    const [version, id, payload] = sealed.split('.');
    if (version !== 'kgd1' || !id || !payload) {
      throw new SecretBoxError(`not a sealed secret (purpose ${purpose})`);
    }
    const key = keys.get(id);
    if (!key) {
      throw new SecretBoxError(
        `secret for ${purpose} was sealed with master key ${id}, but this process has ${[...keys.keys()].join(', ')}: check KGD_MASTER_KEY (and KGD_MASTER_KEY_PREVIOUS during a rotation)`,
      );
    }
    const raw = Buffer.from(payload, 'base64url');
    if (raw.length < 28) throw new SecretBoxError(`sealed secret for ${purpose} is truncated`);
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(purpose));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    try {
      return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
    } catch (cause) {
      throw new SecretBoxError(`sealed secret for ${purpose} failed authentication`, { cause });
    }
  };

  return {
    keyId,
    isCurrent: (sealed) => sealed.startsWith(`kgd1.${keyId}.`),
    seal(plaintext, purpose) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
      cipher.setAAD(Buffer.from(purpose));
      const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return `kgd1.${keyId}.${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
    },
    openBuffer,
    open: (sealed, purpose) => openBuffer(sealed, purpose).toString('utf8'),
  };
}
