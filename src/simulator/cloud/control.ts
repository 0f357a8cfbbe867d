import { z } from 'zod';
import type { Quotas } from './catalog.js';
import type { SimContext } from './context.js';
import {
  capacityReasonShapes,
  createCapacityCodes,
  type FaultRule,
  type FaultsSnapshot,
  type RequestFault,
  type SoldOut,
} from './faults.js';

const fault: z.ZodType<RequestFault> = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('throttle') }),
  z.object({
    kind: z.literal('server-error'),
    status: z.union([z.literal(500), z.literal(502), z.literal(503), z.literal(504)]).optional(),
  }),
  z.object({
    kind: z.literal('timeout'),
    processed: z.boolean().optional(),
    holdMs: z.number().int().min(0).optional(),
  }),
  z.object({ kind: z.literal('reset') }),
  z.object({ kind: z.literal('slow'), delayMs: z.number().int().min(0).max(600_000) }),
  z.object({ kind: z.literal('frozen') }),
  z.object({
    kind: z.literal('busy'),
    answer: z.enum(['Ecs.0501', 'Ecs.0603', 'stream-control']).optional(),
  }),
]);

const count = z.number().int().min(0);

/** An account's quotas, any of them (faults set them for the seller; accounts for a buyer). */
export const quotasSchema = z
  .object({
    instances: count,
    cores: count,
    ramMb: count,
    vpcs: count,
    subnets: count,
    securityGroups: count,
    securityGroupRules: count,
    publicIps: count,
  })
  .partial();

/** The body of `POST /sim/faults` (and `startSimulator({ faults })`): everything optional, additive. */
export const faultSpecSchema = z.object({
  rules: z
    .array(
      z.object({
        api: z.string().min(1),
        fault,
        rate: z.number().min(0).max(1).optional(),
        times: z.number().int().min(1).optional(),
      }),
    )
    .optional(),
  scripts: z.record(z.string().min(1), z.array(fault.nullable())).optional(),
  soldOut: z
    .array(
      z.object({
        az: z.string().min(1).optional(),
        flavor: z.string().min(1).optional(),
        in: z.enum(['create', 'job', 'random']).optional(),
        code: z.enum(createCapacityCodes).optional(),
        reason: z.enum(capacityReasonShapes).optional(),
        leaveError: z.boolean().optional(),
      }),
    )
    .optional(),
  quotas: quotasSchema.optional(),
  rateLimits: z.record(z.string().min(1), z.number().int().min(0).nullable()).optional(),
  /** Refuse SSH to one server (or '*') for this long, from now. */
  sshRefuse: z.object({ serverId: z.string().min(1), forMs: z.number().int().min(0) }).optional(),
  sshRefuseAfterBootMs: z.number().int().min(0).optional(),
  sshDropRate: z.number().min(0).max(1).optional(),
  /** Each create is sold out with this probability, in its answer or its job at random. */
  soldOutRate: z.number().min(0).max(1).optional(),
  /** Each server delete leaves its EIP behind (unbound) with this probability. */
  eipLeftRate: z.number().min(0).max(1).optional(),

  v3Available: z.boolean().optional(),
});

export type FaultSpec = z.input<typeof faultSpecSchema>;

/**
 * Operator and test control of a running simulator: faults, sold-out flavors, quotas, rate
 * limits, SSH refusal. Available in-process (`sim.faults`) and as `POST /sim/faults`.
 */
export interface SimulatorFaults {
  apply(spec: FaultSpec): void;
  inject(rule: FaultRule): void;
  script(api: string, sequence: Array<RequestFault | null>): void;
  soldOut(spec: SoldOut): void;
  setQuotas(quotas: Partial<Quotas>): void;
  setRateLimit(api: string, perMinute: number | undefined): void;
  refuseSsh(serverId: string | '*', forMs: number): void;
  setV3Available(available: boolean): void;
  clear(): void;
  snapshot(): FaultsSnapshot & { quotas: Quotas; rateLimits: Record<string, number> };
}

export function createSimulatorFaults(ctx: SimContext): SimulatorFaults {
  const control: SimulatorFaults = {
    apply(spec) {
      const s = faultSpecSchema.parse(spec);
      for (const r of s.rules ?? []) ctx.faults.inject(r);
      for (const [api, seq] of Object.entries(s.scripts ?? {})) ctx.faults.script(api, seq);
      for (const so of s.soldOut ?? []) ctx.faults.soldOut(so);
      if (s.quotas) control.setQuotas(s.quotas);
      for (const [api, limit] of Object.entries(s.rateLimits ?? {}))
        control.setRateLimit(api, limit ?? undefined);
      if (s.sshRefuse) control.refuseSsh(s.sshRefuse.serverId, s.sshRefuse.forMs);
      if (s.sshRefuseAfterBootMs !== undefined)
        ctx.faults.setSshRefuseAfterBootMs(s.sshRefuseAfterBootMs);
      if (s.sshDropRate !== undefined) ctx.hosts.hosts.setSshDropRate(s.sshDropRate);
      if (s.soldOutRate !== undefined) ctx.faults.setSoldOutRate(s.soldOutRate);
      if (s.eipLeftRate !== undefined) ctx.faults.setEipLeftRate(s.eipLeftRate);

      if (s.v3Available !== undefined) ctx.faults.setV3Available(s.v3Available);
    },
    inject: (rule) => ctx.faults.inject(rule),
    script: (api, seq) => ctx.faults.script(api, seq),
    soldOut: (spec) => ctx.faults.soldOut(spec),
    setQuotas(quotas) {
      ctx.store.quotas = { ...ctx.store.quotas, ...quotas };
    },
    setRateLimit: (api, perMinute) => ctx.rateLimits.set(api, perMinute),
    refuseSsh(serverId, forMs) {
      ctx.hosts.refuseSsh(serverId, new Date(ctx.clock.now().getTime() + forMs));
    },
    setV3Available: (available) => ctx.faults.setV3Available(available),
    clear() {
      ctx.faults.clear();
      ctx.rateLimits.clear();
      ctx.hosts.hosts.setSshDropRate(0);
    },
    snapshot: () => ({
      ...ctx.faults.snapshot(),
      quotas: { ...ctx.store.quotas },
      rateLimits: ctx.rateLimits.limits(),
    }),
  };
  return control;
}
