/**
 * The VPC API's address rules (huawei-cloud.md §5.2), checked before calling so a bad template
 * fails with a clear message and creates nothing: a VPC lies in 10.0.0.0/8, 172.16.0.0/12 or
 * 192.168.0.0/16 with a mask of at most /24; a subnet lies inside its VPC with a mask of at most
 * /28; the gateway is a host address of the subnet and not one the cloud reserves (the network
 * address and the last three: system, DHCP, broadcast).
 */
interface Cidr {
  base: number;
  prefix: number;
  size: number;
}

function ipToInt(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip ?? '');
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

function parseCidr(cidr: string): Cidr | undefined {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr ?? '');
  const base = m ? ipToInt(m[1]!) : undefined;
  const prefix = Number(m?.[2]);
  if (base === undefined || !(prefix >= 0 && prefix <= 32)) return undefined;
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) return undefined;
  return { base, prefix, size };
}

const inside = (inner: Cidr, outer: Cidr) =>
  inner.base >= outer.base && inner.base + inner.size <= outer.base + outer.size;

const privateRanges = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map((c) => parseCidr(c)!);

/** Why a VPC CIDR is refused, or undefined. */
export function vpcCidrProblem(cidr: string): string | undefined {
  const c = parseCidr(cidr);
  if (!c)
    return `${cidr} is not an IPv4 CIDR such as 192.168.0.0/16 (network address, no host bits)`;
  if (!privateRanges.some((r) => inside(c, r)) || c.prefix > 24)
    return `${cidr} must lie in 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 with a mask of /24 or larger`;
  return undefined;
}

/** Why a subnet CIDR or its gateway is refused, or undefined. */
export function subnetProblem(
  cidr: string,
  gatewayIp: string,
  vpcCidr?: string,
): { field: 'cidr' | 'gatewayIp'; problem: string } | undefined {
  const c = parseCidr(cidr);
  if (!c)
    return {
      field: 'cidr',
      problem: `${cidr} is not an IPv4 CIDR such as 192.168.0.0/24 (network address, no host bits)`,
    };
  if (c.prefix > 28)
    return { field: 'cidr', problem: `${cidr} is smaller than /28, the smallest subnet` };
  const vpc = vpcCidr ? parseCidr(vpcCidr) : undefined;
  if (vpc && !inside(c, vpc))
    return { field: 'cidr', problem: `${cidr} is not inside the VPC's ${vpcCidr}` };
  const gw = ipToInt(gatewayIp);
  if (gw === undefined || gw <= c.base || gw >= c.base + c.size - 3)
    return {
      field: 'gatewayIp',
      problem: `${gatewayIp} must be a host address of ${cidr} other than the network address and the last three (reserved)`,
    };
  return undefined;
}
