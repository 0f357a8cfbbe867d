import { describe, expect, it } from 'vitest';
import { clientToken, uuidPattern } from './client-token.js';

describe('clientToken', () => {
  const parts = { instanceId: 'kgi-1', operationId: 'op_1', step: 'create-server' };

  it('is a stable UUID for the same inputs', () => {
    const a = clientToken(parts);
    expect(a).toMatch(uuidPattern);
    expect(a[14]).toBe('5');
    expect(clientToken({ ...parts })).toBe(a);
  });

  it('differs when any input differs, including by separator games', () => {
    const a = clientToken(parts);
    expect(clientToken({ ...parts, step: 'create-server-2' })).not.toBe(a);
    expect(clientToken({ ...parts, operationId: 'op_2' })).not.toBe(a);
    expect(clientToken({ instanceId: 'kgi-1\0op_1', operationId: 'x', step: 'y' })).not.toBe(
      clientToken({ instanceId: 'kgi-1', operationId: 'op_1\0x', step: 'y' }),
    );
  });

  it('names the missing field', () => {
    expect(() => clientToken({ ...parts, operationId: '' })).toThrow(/operationId/);
  });
});
