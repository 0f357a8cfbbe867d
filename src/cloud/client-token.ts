import { createHash } from 'node:crypto';

/**
 * The `X-Client-Token` for a create call: a UUID (version-5 layout) derived from the SHA-256 of
 * the instance, the operation and the step name. A crash and a retry of the same step send the
 * same token, so the cloud answers with the original job instead of creating a second server
 * (ECS keeps tokens for 8 hours). The attempt number must never be part of the inputs.
 *
 * @example
 *   clientToken({ instanceId: 'kgi-01j...', operationId: 'op_01j...', step: 'create-server' })
 *   // → 'c0a3f1e2-6b7d-5e21-9f3a-...' (same inputs, same token)
 */
export function clientToken(parts: {
  instanceId: string;
  operationId: string;
  step: string;
}): string {
  for (const [field, value] of Object.entries(parts)) {
    if (typeof value !== 'string' || value.length === 0) {
      throw new TypeError(`clientToken: ${field} must be a non-empty string`);
    }
  }
  const digest = createHash('sha256')
    // JSON keeps the three parts apart whatever characters they hold.
    .update(JSON.stringify(['kgd-client-token', parts.instanceId, parts.operationId, parts.step]))
    .digest();
  const b = Buffer.from(digest.subarray(0, 16));
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
