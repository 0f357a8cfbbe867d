import { isIPv4 } from 'node:net';
import { z } from 'zod';
import type { HostSpec } from './simulated-hosts.js';

const ipv4 = (what: string) => z.string().refine(isIPv4, `expected ${what}, an IPv4 address`);
const port = z.number().int().min(1).max(65_535);

const ingressRule = z.object({
  protocol: z.enum(['tcp', 'udp', 'icmp', 'any']),
  portMin: port.optional(),
  portMax: port.optional(),
  remoteIpPrefix: z
    .string()
    .regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, 'expected a CIDR such as 0.0.0.0/0')
    .optional(),
});

const hostSpec = z.object({
  // It names a directory on the host: nothing that could climb out of the hosts folder.
  serverId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'expected letters, digits, "-", "_" or "."'),
  address: ipv4('a loopback EIP such as 127.20.0.7').refine(
    (a) => a.startsWith('127.'),
    'expected a loopback address (127.x.y.z): the simulator serves EIPs on loopback only',
  ),
  privateIp: ipv4('the private IP'),
  hostname: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/, 'expected a host name'),
  adminPass: z.string().min(1).optional(),
  authorizedKeys: z.array(z.string()).optional(),
  image: z.object({ id: z.string().min(1), filesDir: z.string().min(1).optional() }),
  ingress: z.array(ingressRule),
  userData: z.string().optional(),
  bootDelayMs: z.number().min(0),
});

/** Validates a spec from the cloud simulator; the error names each bad field. */
export function parseHostSpec(spec: HostSpec): HostSpec {
  const result = hostSpec.safeParse(spec);
  if (result.success) return spec;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || 'spec'}: ${i.message}`);
  throw new Error(`invalid host spec: ${problems.join('; ')}`);
}

/** Validates an ingress rule list on its own (setIngress). */
export function parseIngress(rules: HostSpec['ingress']): HostSpec['ingress'] {
  const result = z.array(ingressRule).safeParse(rules);
  if (result.success) return rules;
  const problems = result.error.issues.map((i) => `ingress.${i.path.join('.')}: ${i.message}`);
  throw new Error(`invalid ingress rules: ${problems.join('; ')}`);
}
