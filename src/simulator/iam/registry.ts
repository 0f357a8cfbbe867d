import { randomBytes } from 'node:crypto';
import type { Clock } from '../../platform/clock.js';
import { actionAllowed, systemRoles } from './actions.js';

/**
 * The simulated IAM: accounts (domains) with their projects per region and permanent keys, agencies
 * with role grants, custom roles, and the temporary credentials `assume_role` hands out
 * (huawei-iam-agency.md §6). Plain records owned by one simulator instance; the IAM routes
 * (routes.ts), the cloud's signature check and its per-call permission check all read it.
 */
export interface SimDomain {
  id: string;
  name: string;
  regions: string[];
}

export interface SimProject {
  id: string;
  /** The region id (sub-projects would be `cn-north-4_xxx`). */
  name: string;
  domainId: string;
}

interface PermanentKey {
  kind: 'permanent';
  ak: string;
  sk: string;
  domainId: string;
  userName: string;
  /** The account's own key, or an IAM user holding the Agent Operator role: may assume agencies. */
  mayAssume: boolean;
}

export interface SimAgency {
  id: string;
  name: string;
  domainId: string;
  trustDomainId: string;
  trustDomainName: string;
  duration: string;
  description: string;
  createTime: string;
  /** Epoch ms on the simulator clock; undefined for FOREVER. */
  expiresAt: number | undefined;
}

export interface SimRole {
  id: string;
  name: string;
  displayName: string;
  /** AX account level, XA project level, AA both. */
  type: string;
  description: string;
  actions: string[];
  /** Custom roles belong to one domain; system roles to none. */
  domainId: string | undefined;
}

/** Where a role is granted to an agency: one project, the domain (global services), or every project. */
type GrantScope = { projectId: string } | { domainId: string } | { inherited: true };

interface Grant {
  agencyId: string;
  roleId: string;
  scope: GrantScope;
}

export interface TemporaryKey {
  kind: 'temporary';
  ak: string;
  sk: string;
  securityToken: string;
  /** The delegating (buyer) account: the credentials act in it. */
  domainId: string;
  agencyId: string;
  sessionUser: string;
  expiresAt: number;
  /** With `at-expiry` revocation: the grants as they were when the keys were issued. */
  grantsAtIssue?: Grant[];
}

export type Principal = PermanentKey | TemporaryKey;

/** What assume_role refuses, with the HTTP status and message IAM answers (keystone body). */
export class IamRefusal extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

const hex32 = () => randomBytes(16).toString('hex');
const upperAlnum = (n: number) => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return Array.from(randomBytes(n), (b) => alphabet[b % alphabet.length]).join('');
};

export type IamRegistry = ReturnType<typeof createIamRegistry>;

/**
 * When deleting an agency or one of its grants reaches keys already handed out: at once (the
 * default), or only at their expiry (the keys keep what the agency allowed when assumed). The real
 * behaviour is unverified (huawei-iam-agency.md §6.6); clients must survive both.
 */
export type Revocation = 'immediate' | 'at-expiry';

export function createIamRegistry(deps: { clock: Clock; revocation?: Revocation }) {
  const domains = new Map<string, SimDomain>();
  const projects = new Map<string, SimProject>();
  const keys = new Map<string, Principal>();
  const agencies = new Map<string, SimAgency>();
  const roles = new Map<string, SimRole>(systemRoles.map((r) => [r.id, { ...r }]));
  let grants: Grant[] = [];

  const now = () => deps.clock.now().getTime();
  const agencyLive = (a: SimAgency) => a.expiresAt === undefined || a.expiresAt > now();

  const registry = {
    domains,
    projects,
    agencies,
    roles,

    addDomain(input: {
      name: string;
      regions: string[];
      id?: string;
      key?: { ak: string; sk: string };
      projectIds?: Record<string, string>;
    }): { domain: SimDomain; ak: string; sk: string } {
      if ([...domains.values()].some((d) => d.name === input.name))
        throw new IamRefusal(409, `Domain name ${input.name} already exists.`);
      const domain: SimDomain = { id: input.id ?? hex32(), name: input.name, regions: [] };
      domains.set(domain.id, domain);
      for (const region of input.regions)
        registry.addProject(domain.id, region, input.projectIds?.[region]);
      const key = input.key ?? { ak: upperAlnum(20), sk: randomBytes(30).toString('base64url') };
      keys.set(key.ak, {
        kind: 'permanent',
        ...key,
        domainId: domain.id,
        userName: domain.name,
        mayAssume: true,
      });
      return { domain, ...key };
    },

    addProject(domainId: string, region: string, id = hex32()): SimProject {
      const domain = domains.get(domainId);
      if (!domain) throw new IamRefusal(404, `Could not find domain: ${domainId}`);
      const existing = [...projects.values()].find(
        (p) => p.domainId === domainId && p.name === region,
      );
      if (existing) return existing;
      const project = { id, name: region, domainId };
      projects.set(id, project);
      domain.regions.push(region);
      return project;
    },

    /** An IAM user's permanent key in a domain; `agentOperator` lets it assume agencies. */
    addUser(
      domainId: string,
      userName: string,
      agentOperator: boolean,
    ): { ak: string; sk: string } {
      if (!domains.has(domainId)) throw new IamRefusal(404, `Could not find domain: ${domainId}`);
      const key = { ak: upperAlnum(20), sk: randomBytes(30).toString('base64url') };
      keys.set(key.ak, { kind: 'permanent', ...key, domainId, userName, mayAssume: agentOperator });
      return key;
    },

    principal: (ak: string): Principal | undefined => keys.get(ak),
    domainByName: (name: string) => [...domains.values()].find((d) => d.name === name),
    projectOf: (domainId: string, region: string) =>
      [...projects.values()].find((p) => p.domainId === domainId && p.name === region),

    createAgency(input: {
      domainId: string;
      name: string;
      trustDomainId?: string | undefined;
      trustDomainName?: string | undefined;
      duration?: string | undefined;
      description?: string | undefined;
    }): SimAgency {
      if (
        [...agencies.values()].some((a) => a.domainId === input.domainId && a.name === input.name)
      )
        throw new IamRefusal(409, `The agency name ${input.name} already exists.`);
      // The name wins when both are given (§1).
      const trusted = input.trustDomainName
        ? registry.domainByName(input.trustDomainName)
        : input.trustDomainId
          ? domains.get(input.trustDomainId)
          : undefined;
      if (!trusted)
        throw new IamRefusal(
          404,
          `Could not find domain: ${input.trustDomainName ?? input.trustDomainId ?? '(none given)'}`,
        );
      const duration = input.duration ?? 'FOREVER';
      const days =
        duration === 'FOREVER' ? undefined : duration === 'ONEDAY' ? 1 : Number(duration);
      if (days !== undefined && !(Number.isInteger(days) && days > 0))
        throw new IamRefusal(400, `Invalid duration: ${duration}.`);
      const agency: SimAgency = {
        id: hex32(),
        name: input.name,
        domainId: input.domainId,
        trustDomainId: trusted.id,
        trustDomainName: trusted.name,
        duration,
        description: input.description ?? '',
        createTime: deps.clock.now().toISOString(),
        expiresAt: days === undefined ? undefined : now() + days * 86_400_000,
      };
      agencies.set(agency.id, agency);
      return agency;
    },

    deleteAgency(agencyId: string): void {
      if (!agencies.delete(agencyId))
        throw new IamRefusal(404, `Could not find agency: ${agencyId}`);
      grants = grants.filter((g) => g.agencyId !== agencyId);
    },

    /** Ends an agency's life now (as a `ONEDAY` agency does after its day). */
    expireAgency(agencyId: string): void {
      const a = agencies.get(agencyId);
      if (a) a.expiresAt = now();
    },

    createRole(domainId: string, input: Omit<SimRole, 'id' | 'domainId' | 'name'>): SimRole {
      const role: SimRole = {
        ...input,
        id: hex32(),
        name: `custom_${domainId.slice(0, 8)}_${roles.size}`,
        domainId,
      };
      roles.set(role.id, role);
      return role;
    },

    grant(agencyId: string, roleId: string, scope: GrantScope): void {
      if (!agencies.has(agencyId)) throw new IamRefusal(404, `Could not find agency: ${agencyId}`);
      if (!roles.has(roleId)) throw new IamRefusal(404, `Could not find role: ${roleId}`);
      const same = (g: Grant) =>
        g.agencyId === agencyId &&
        g.roleId === roleId &&
        JSON.stringify(g.scope) === JSON.stringify(scope);
      if (!grants.some(same)) grants.push({ agencyId, roleId, scope });
    },

    revoke(agencyId: string, roleId: string, scope: GrantScope): void {
      const before = grants.length;
      grants = grants.filter(
        (g) =>
          !(
            g.agencyId === agencyId &&
            g.roleId === roleId &&
            JSON.stringify(g.scope) === JSON.stringify(scope)
          ),
      );
      if (grants.length === before)
        throw new IamRefusal(404, `Could not find role grant: ${roleId}`);
    },

    /**
     * `assume_role`: checks the caller may assume, the agency exists in the named account, trusts
     * the caller's account and is still valid, then mints credentials valid `durationSeconds`.
     */
    assume(
      caller: Principal,
      input: {
        agencyName: string;
        domainId?: string | undefined;
        domainName?: string | undefined;
        durationSeconds: number;
        sessionUser?: string | undefined;
      },
    ): TemporaryKey {
      if (input.durationSeconds < 900 || input.durationSeconds > 86_400)
        throw new IamRefusal(
          400,
          `Invalid duration_seconds: ${input.durationSeconds}, expected 900 to 86400.`,
        );
      const domain = input.domainId
        ? domains.get(input.domainId)
        : input.domainName
          ? registry.domainByName(input.domainName)
          : undefined;
      if (!domain)
        throw new IamRefusal(
          404,
          `Could not find domain: ${input.domainId ?? input.domainName ?? '(none given)'}`,
        );
      if (caller.kind !== 'permanent' || !caller.mayAssume)
        throw new IamRefusal(
          403,
          'You are not authorized to perform the requested action: identity:assume_role (the caller needs the Agent Operator role).',
        );
      const agency = [...agencies.values()].find(
        (a) => a.domainId === domain.id && a.name === input.agencyName,
      );
      if (!agency) throw new IamRefusal(404, `Could not find agency: ${input.agencyName}`);
      if (agency.trustDomainId !== caller.domainId)
        throw new IamRefusal(
          403,
          `You are not authorized to perform the requested action: the agency ${agency.name} does not trust the caller's account.`,
        );
      if (!agencyLive(agency)) throw new IamRefusal(403, `The agency ${agency.name} has expired.`);
      const key: TemporaryKey = {
        kind: 'temporary',
        ak: upperAlnum(20),
        sk: randomBytes(30).toString('base64url'),
        securityToken: `gAAAAAB${randomBytes(96).toString('base64url')}`,
        domainId: domain.id,
        agencyId: agency.id,
        sessionUser: input.sessionUser ?? agency.name,
        expiresAt: now() + input.durationSeconds * 1000,
        ...(deps.revocation === 'at-expiry'
          ? { grantsAtIssue: grants.filter((g) => g.agencyId === agency.id) }
          : {}),
      };
      keys.set(key.ak, key);
      return key;
    },

    /** True when the temporary key's time is up (on the simulator clock). */
    expired: (key: TemporaryKey) => key.expiresAt <= now(),

    /**
     * The first of `actions` the principal may not perform in the project (`''`: account-level
     * services such as IAM), or undefined when all are allowed. Permanent keys of the project's account may do anything; temporary ones only
     * what the agency's live grants on that project (or the whole account) allow.
     */
    missingAction(principal: Principal, projectId: string, actions: string[]): string | undefined {
      if (principal.kind === 'permanent') return undefined;
      const agency = agencies.get(principal.agencyId);
      const live = agency !== undefined && agencyLive(agency);
      const allowed =
        principal.grantsAtIssue || live
          ? (principal.grantsAtIssue ?? grants)
              .filter((g) => g.agencyId === principal.agencyId)
              .filter((g) =>
                projectId === ''
                  ? 'domainId' in g.scope
                  : 'inherited' in g.scope ||
                    ('projectId' in g.scope && g.scope.projectId === projectId),
              )
              .flatMap((g) => roles.get(g.roleId)?.actions ?? [])
          : [];
      return actions.find((action) => !allowed.some((pattern) => actionAllowed(pattern, action)));
    },

    /** Forgets every account but the ones kept (the seller), with their agencies and keys. */
    reset(keep: Set<string>): void {
      for (const [id] of domains) if (!keep.has(id)) domains.delete(id);
      for (const [id, p] of projects) if (!keep.has(p.domainId)) projects.delete(id);
      for (const [ak, k] of keys)
        if (k.kind === 'temporary' || !keep.has(k.domainId)) keys.delete(ak);
      agencies.clear();
      grants = [];
      for (const [id, r] of roles) if (r.domainId !== undefined) roles.delete(id);
    },
  };
  return registry;
}
