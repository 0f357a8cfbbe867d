import { z } from 'zod';
import { parsePorts } from '../../cloud/port-ranges.js';

const cidr = z.string().regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, 'expected a CIDR such as 0.0.0.0/0');

export const ruleCommon = {
  security_group_id: z.string().min(1),
  direction: z.enum(['ingress', 'egress']),
  ethertype: z.enum(['IPv4', 'IPv6']).optional(),
  protocol: z
    .string()
    .regex(/^(tcp|udp|icmp|icmpv6|gre|\d{1,3})$/, 'expected tcp, udp, icmp or a protocol number')
    .nullable()
    .optional(),
  remote_ip_prefix: cidr.nullable().optional(),
  remote_group_id: z.string().nullable().optional(),
  description: z.string().max(255).optional(),
};

export const multiport = z.string().superRefine((v, ctx) => {
  try {
    if (parsePorts(v).length > 20)
      ctx.addIssue({ code: 'custom', message: 'at most 20 ports or ranges' });
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
  }
});
