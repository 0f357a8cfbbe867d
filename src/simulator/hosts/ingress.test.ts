import { describe, expect, it } from 'vitest';
import { admits, forwardedPorts, maxForwardedRange, opensPort } from './ingress.js';
import type { IngressRule } from './simulated-hosts.js';

const rules: IngressRule[] = [
  { protocol: 'tcp', portMin: 22, portMax: 22, remoteIpPrefix: '0.0.0.0/0' },
  { protocol: 'tcp', portMin: 8080, portMax: 8082, remoteIpPrefix: '10.0.0.0/8' },
  { protocol: 'udp', portMin: 53, portMax: 53 },
  { protocol: 'any', portMin: 443 },
];

describe('security-group ingress', () => {
  it('admits TCP by port range and source CIDR', () => {
    expect(admits(rules, 22, '127.0.0.1')).toBe(true);
    expect(admits(rules, 8081, '10.1.2.3')).toBe(true);
    expect(admits(rules, 8081, '127.0.0.1')).toBe(false);
    expect(admits(rules, 8081, '::ffff:10.1.2.3')).toBe(true);
    expect(admits(rules, 53, '127.0.0.1')).toBe(false); // UDP only
    expect(admits(rules, 443, '192.168.1.1')).toBe(true); // any protocol, no prefix: everyone
    expect(admits(rules, 444, '192.168.1.1')).toBe(false);
    expect(admits([{ protocol: 'tcp', remoteIpPrefix: '::/0' }], 80, '127.0.0.1')).toBe(false);
    expect(opensPort(rules, 8082)).toBe(true);
    expect(opensPort(rules, 53)).toBe(false);
  });

  it('forwards each opened TCP port but SSH, and reports rules too wide to forward', () => {
    const all: IngressRule = { protocol: 'any' };
    const { ports, tooWide } = forwardedPorts([...rules, all]);
    expect(ports).toEqual([443, 8080, 8081, 8082]);
    expect(tooWide).toEqual([all]);
    const edge = forwardedPorts([
      { protocol: 'tcp', portMin: 1000, portMax: 999 + maxForwardedRange },
    ]);
    expect(edge.ports).toHaveLength(maxForwardedRange);
  });
});
