import { createHash } from 'node:crypto';

/**
 * The SHA256 fingerprint of an SSH public host key blob, exactly as OpenSSH prints it
 * (`ssh-keygen -lf`, the "ECDSA key fingerprint is SHA256:..." prompt): unpadded base64.
 *
 * @example
 *   hostKeyFingerprint(blob) // 'SHA256:8dQ7x0v1...'
 */
export function hostKeyFingerprint(publicKeyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(publicKeyBlob).digest('base64').replace(/=+$/, '')}`;
}
