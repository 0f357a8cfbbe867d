import { BlockList, isIPv4 } from 'node:net';
import type { IngressRule } from './simulated-hosts.js';

/** The port SSH is reached on in security-group terms, whatever port the simulator serves it on. */
export const sshRulePort = 22;

/**
 * Rules wider than this are not forwarded port by port (an "all ports" rule would mean 65,535
 * listeners); they still admit SSH. docs/simulator-hosts.md says so.
 */
export const maxForwardedRange = 256;

const coversTcp = (rule: IngressRule) => rule.protocol === 'tcp' || rule.protocol === 'any';

function range(rule: IngressRule): [number, number] {
  return [rule.portMin ?? 1, rule.portMax ?? rule.portMin ?? 65_535];
}

function sourceAdmitted(rule: IngressRule, remoteAddress: string): boolean {
  const prefix = rule.remoteIpPrefix ?? '0.0.0.0/0';
  const [network = '', bits = ''] = prefix.split('/');
  const address = remoteAddress.replace(/^::ffff:/, '');
  const family = isIPv4(network) ? 'ipv4' : 'ipv6';
  if (family === 'ipv4' ? !isIPv4(address) : isIPv4(address)) return false;
  const list = new BlockList();
  list.addSubnet(network, Number(bits || (family === 'ipv4' ? 32 : 128)), family);
  return list.check(address, family);
}

function opens(rule: IngressRule, port: number): boolean {
  const [min, max] = range(rule);
  return coversTcp(rule) && port >= min && port <= max;
}

/** Whether some rule opens this TCP port, to any source. */
export function opensPort(rules: IngressRule[], port: number): boolean {
  return rules.some((rule) => opens(rule, port));
}

/** Whether a TCP connection from `remoteAddress` to `port` passes the security groups. */
export function admits(rules: IngressRule[], port: number, remoteAddress: string): boolean {
  return rules.some((rule) => opens(rule, port) && sourceAdmitted(rule, remoteAddress));
}

/** The TCP ports to listen on for forwarding, and the rules too wide to forward. */
export function forwardedPorts(rules: IngressRule[]): { ports: number[]; tooWide: IngressRule[] } {
  const ports = new Set<number>();
  const tooWide: IngressRule[] = [];
  for (const rule of rules) {
    if (!coversTcp(rule)) continue;
    const [min, max] = range(rule);
    if (max - min + 1 > maxForwardedRange) {
      tooWide.push(rule);
      continue;
    }
    for (let port = min; port <= max; port++) if (port !== sshRulePort) ports.add(port);
  }
  return { ports: [...ports].sort((a, b) => a - b), tooWide };
}
