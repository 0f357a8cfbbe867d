import { randomInt } from 'node:crypto';
import type { HostSpec } from '../../src/simulator/hosts/simulated-hosts.js';

/**
 * A spec for tests: a random EIP in 127.20.0.0/16 (test files run in parallel), SSH and 8080
 * open to everyone, a short boot.
 */
export function testHostSpec(serverId: string, overrides: Partial<HostSpec> = {}): HostSpec {
  return {
    serverId,
    address: `127.20.${randomInt(1, 255)}.${randomInt(1, 255)}`,
    privateIp: `192.168.0.${randomInt(10, 250)}`,
    hostname: `ecs-${serverId}`,
    adminPass: `Pw-${serverId}-2026!`,
    image: { id: 'debian-12' },
    ingress: [
      { protocol: 'tcp', portMin: 22, portMax: 22, remoteIpPrefix: '0.0.0.0/0' },
      { protocol: 'tcp', portMin: 8080, portMax: 8080, remoteIpPrefix: '0.0.0.0/0' },
    ],
    bootDelayMs: 150,
    ...overrides,
  };
}
