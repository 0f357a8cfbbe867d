import { intToIp, parseCidr } from './ipv4.js';

/**
 * EIP addresses handed out from a pool, by default loopback `127.20.0.0/16` so every server's
 * SSH endpoint and opened ports are reachable on this machine. Host parts .0 and .255 are
 * skipped; released addresses are reused lowest first.
 */
export interface EipPool {
  allocate(): string | undefined;
  release(address: string): void;
  reset(): void;
}

export function createEipPool(cidr: string): EipPool {
  const parsed = parseCidr(cidr);
  if (!parsed || parsed.size < 4)
    throw new TypeError(`eipPool: "${cidr}" is not an IPv4 CIDR with room for addresses`);
  const used = new Set<number>();
  return {
    allocate() {
      for (let n = parsed.base + 1; n < parsed.base + parsed.size - 1; n++) {
        const last = n & 255;
        if (last === 0 || last === 255 || used.has(n)) continue;
        used.add(n);
        return intToIp(n);
      }
      return undefined;
    },
    release(address) {
      for (const n of used) {
        if (intToIp(n) === address) used.delete(n);
      }
    },
    reset() {
      used.clear();
    },
  };
}
