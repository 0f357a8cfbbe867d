/** IPv4 helpers for subnets, gateways and the EIP pool. */
export function ipToInt(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip ?? '');
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export interface Cidr {
  base: number;
  prefix: number;
  size: number;
}

export function parseCidr(cidr: string): Cidr | undefined {
  const [ip, bits, extra] = (cidr ?? '').split('/');
  if (extra !== undefined || bits === undefined || !/^\d{1,2}$/.test(bits)) return undefined;
  const n = ipToInt(ip ?? '');
  const prefix = Number(bits);
  if (n === undefined || prefix > 32) return undefined;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  if ((n & mask) >>> 0 !== n) return undefined;
  return { base: n, prefix, size: 2 ** (32 - prefix) };
}

export function cidrContains(outer: Cidr, ip: number): boolean {
  return ip >= outer.base && ip < outer.base + outer.size;
}

export function cidrInside(inner: Cidr, outer: Cidr): boolean {
  return cidrContains(outer, inner.base) && cidrContains(outer, inner.base + inner.size - 1);
}

export function cidrOverlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}
