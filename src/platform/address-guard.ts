import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { Permanent, Retryable } from './errors.js';

/**
 * Which addresses the service may connect to when a buyer named them (an order's extension
 * parameters such as `serverIp`). A buyer is untrusted: without this a purchase could make the
 * service SSH as root into the seller's own network, the cloud's metadata service or this machine
 * (SSRF), and the deployment's outcome would tell the buyer which of those answered.
 *
 * Refused: every address that is not global unicast — loopback, private (RFC 1918), carrier-grade
 * NAT (100.64/10), link-local, the metadata address, multicast, unspecified, broadcast, reserved
 * and documentation ranges, IPv6 unique-local and the IPv6 forms that embed an IPv4 address
 * (mapped addresses are judged as the IPv4 they carry) — and every CIDR of `deny`. A CIDR of
 * `allow` (a product template's explicit choice) admits an address of the classes above, never
 * the metadata address and never one the deny list names.
 *
 * @example
 *   const policy = { deny: ['192.168.0.0/16'], allow: [] };
 *   const address = await resolveGuarded('buyer.example.com', policy); // checked, pinned
 *   guardAddress(address, policy); // again where the socket connects
 */
export interface AddressPolicy {
  /** CIDRs never connected to (default: the seller's VPC CIDRs). */
  deny: readonly string[];
  /** CIDRs admitted although not public (a template's opt-in, e.g. a lab network). */
  allow: readonly string[];
}

/** The address every cloud serves instance metadata and credentials at. */
export const metadataAddress = '169.254.169.254';

/** ipaddr.js range names, as the rule a refusal names. */
const ruleNames: Record<string, string> = {
  loopback: 'loopback',
  private: 'private (RFC 1918)',
  carrierGradeNat: 'carrier-grade NAT (100.64.0.0/10)',
  linkLocal: 'link-local',
  multicast: 'multicast',
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  reserved: 'reserved',
  uniqueLocal: 'unique-local (fc00::/7)',
};

/** A buyer-named address the policy refuses. Permanent: the same order names it again. */
export class TargetRefused extends Permanent {
  override name = 'TargetRefused';
  constructor(
    readonly address: string,
    readonly rule: string,
    /** The name the buyer gave, when it was a host name. */
    readonly named?: string,
  ) {
    super(
      `refused to connect to the buyer-named address ${address}${named && named !== address ? ` (${named})` : ''}: ${rule}`,
      { code: 'target-refused' },
    );
  }
}

function inAny(address: ipaddr.IPv4 | ipaddr.IPv6, cidrs: readonly string[]): string | undefined {
  for (const cidr of cidrs) {
    const [range, bits] = ipaddr.parseCIDR(cidr);
    if (range.kind() === address.kind() && address.match(range, bits)) return cidr;
  }
  return undefined;
}

/** The rule refusing `address`, or undefined when it may be connected to. */
export function refusalOf(address: string, policy: AddressPolicy): string | undefined {
  if (!ipaddr.isValid(address)) return 'not an IP address';
  // An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is the IPv4 address it carries.
  const parsed = ipaddr.process(address);
  const denied = inAny(parsed, policy.deny);
  if (denied) return `in the deny list (${denied})`;
  if (parsed.toString() === metadataAddress) return `the metadata address (${metadataAddress})`;
  const range = parsed.range();
  if (range === 'unicast' || inAny(parsed, policy.allow)) return undefined;
  return ruleNames[range] ?? `special-purpose (${range})`;
}

/** Throws `TargetRefused` unless `address` (an IP literal) may be connected to. */
export function guardAddress(address: string, policy: AddressPolicy, named?: string): void {
  const rule = refusalOf(address, policy);
  if (rule) throw new TargetRefused(address, rule, named);
}

export type ResolveHost = (host: string) => Promise<string[]>;

/** Every address the system resolver gives for `host` (an IP literal is its own answer). */
export const resolveWithSystem: ResolveHost = async (host) => {
  if (ipaddr.isValid(host)) return [host];
  try {
    return (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA')
      throw new Permanent(`the buyer-named host ${host} does not resolve`, { cause: err });
    throw new Retryable(`cannot resolve the buyer-named host ${host}: ${(err as Error).message}`, {
      cause: err,
    });
  }
};

/**
 * Resolves `host`, refuses it if any of its addresses is refused (a name answering both a public
 * and a private address is refused: the next lookup could pick either), and returns the address
 * to pin: the caller connects to that address, never to the name again.
 */
export async function resolveGuarded(
  host: string,
  policy: AddressPolicy,
  resolve: ResolveHost = resolveWithSystem,
): Promise<string> {
  const addresses = await resolve(host);
  if (addresses.length === 0) throw new Permanent(`the buyer-named host ${host} has no address`);
  for (const address of addresses) guardAddress(address, policy, host);
  return ipaddr.process(addresses[0]!).toString();
}

/** Whether every entry is a CIDR ipaddr.js parses (for the template and configuration checks). */
export function badCidr(cidr: string): string | undefined {
  try {
    ipaddr.parseCIDR(cidr);
    return undefined;
  } catch {
    return `${cidr} is not a CIDR (expected e.g. 203.0.113.0/24)`;
  }
}

/** Whether `cidr` contains the metadata address (an allow-list may never admit it). */
export function coversMetadata(cidr: string): boolean {
  const [range, bits] = ipaddr.parseCIDR(cidr);
  return range.kind() === 'ipv4' && ipaddr.parse(metadataAddress).match(range, bits);
}
