import { createCipheriv, createDecipheriv, createHash, randomInt } from 'node:crypto';

/**
 * Field encryption of spec §2.4: `iv + base64(AES-CBC-PKCS5(plaintext))`, the iv being 16
 * characters of [A-Za-z0-9] used as the IV bytes. The AES key is the output of Java's
 * `SecureRandom("SHA1PRNG")` seeded with the Key, which we reproduce exactly.
 */

export type EncryptType = 1 | 2;

/**
 * Java's SHA1PRNG: state = SHA1(seed); each block out = SHA1(state), then
 * state = state + out + 1 over signed bytes (index 0 first), forcing a change if none happened.
 */
export function sha1prng(seed: Buffer, length: number): Buffer {
  let state = createHash('sha1').update(seed).digest();
  const out: Buffer[] = [];
  let produced = 0;
  while (produced < length) {
    const block = createHash('sha1').update(state).digest();
    out.push(block);
    produced += block.length;
    const next = Buffer.alloc(20);
    let carry = 1;
    let changed = false;
    for (let i = 0; i < 20; i++) {
      const s = (state[i]! << 24) >> 24; // signed byte
      const o = (block[i]! << 24) >> 24;
      const sum = s + o + carry;
      const b = sum & 0xff;
      changed ||= b !== state[i];
      next[i] = b;
      carry = sum >> 8; // arithmetic shift, as Java's int
    }
    if (!changed) next[0] = (next[0]! + 1) & 0xff;
    state = next;
  }
  return Buffer.concat(out).subarray(0, length);
}

const keyCache = new Map<string, Buffer>();

function fieldKey(key: string, encryptType: EncryptType): Buffer {
  const id = `${encryptType}:${key}`;
  let k = keyCache.get(id);
  if (!k) {
    k = sha1prng(Buffer.from(key, 'utf8'), encryptType === 1 ? 32 : 16);
    keyCache.set(id, k);
  }
  return k;
}

const ivAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function randomIv(): string {
  let iv = '';
  for (let i = 0; i < 16; i++) iv += ivAlphabet[randomInt(ivAlphabet.length)];
  return iv;
}

function cipherName(encryptType: EncryptType) {
  return encryptType === 1 ? 'aes-256-cbc' : 'aes-128-cbc';
}

export function encryptField(
  plaintext: string,
  key: string,
  encryptType: EncryptType = 1,
  iv: string = randomIv(),
): string {
  if (!/^[A-Za-z0-9]{16}$/.test(iv)) throw new Error('iv must be 16 characters of [A-Za-z0-9]');
  const cipher = createCipheriv(
    cipherName(encryptType),
    fieldKey(key, encryptType),
    Buffer.from(iv),
  );
  return iv + Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}

export class FieldDecryptError extends Error {
  override name = 'FieldDecryptError';
}

export function decryptField(value: string, key: string, encryptType: EncryptType = 1): string {
  const iv = value.slice(0, 16);
  const body = value.slice(16);
  if (!/^[A-Za-z0-9]{16}$/.test(iv) || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) {
    throw new FieldDecryptError('not an iv + base64 ciphertext');
  }
  try {
    const decipher = createDecipheriv(
      cipherName(encryptType),
      fieldKey(key, encryptType),
      Buffer.from(iv),
    );
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString(
      'utf8',
    );
  } catch (cause) {
    throw new FieldDecryptError('ciphertext does not decrypt under this key', { cause });
  }
}
