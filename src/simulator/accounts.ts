import type { Hono } from 'hono';
import { createCloudSimulatorApp } from './cloud/app.js';
import { createCatalog, type Quotas } from './cloud/catalog.js';
import type { SimContext, SimEnv } from './cloud/context.js';
import { createHostsBridge } from './cloud/hosts-bridge.js';
import { type Inventory, inventory } from './cloud/inspection.js';
import { createCloudStore } from './cloud/store.js';
import type { SimulatedHosts } from './hosts/simulated-hosts.js';
import type { IamRegistry, SimAgency } from './iam/registry.js';

/**
 * Every simulated account's projects, each a cloud of its own (store, quotas, hosts bridge) on
 * the one port: a call is routed by the project id in its path, and its credentials must belong
 * to that project's account. The seller's project is the default context; other accounts (the
 * buyers) are added at run time.
 */
export interface SimAccounts {
  /** The app serving a project id, or undefined (the seller's app answers). */
  appFor(projectId: string): Hono<SimEnv> | undefined;
  create(input: { name: string; regions?: string[]; quotas?: Partial<Quotas> }): AccountView & {
    ak: string;
    sk: string;
  };
  list(): AccountView[];
  /** An IAM user of the account with its own permanent key (`agentOperator`: may assume). */
  addUser(domainId: string, name: string, agentOperator: boolean): { ak: string; sk: string };
  inspect(domainId: string, region: string, live?: Iterable<string>): Inventory | undefined;
  /**
   * What a buyer does in the IAM console, in one call: the agency trusting `trustDomainName`, a
   * custom project-level policy with `actions` (or the named system roles) granted in each region.
   */
  createAgency(
    domainId: string,
    input: {
      name: string;
      trustDomainName: string;
      actions?: string[];
      roles?: string[];
      regions?: string[];
      duration?: string;
    },
  ): SimAgency;
  deleteAgency(domainId: string, name: string): boolean;
  /** Every buyer project's servers destroyed and the buyer accounts forgotten. */
  reset(): Promise<void>;
}

interface AccountView {
  domainId: string;
  name: string;
  projects: Array<{ region: string; id: string }>;
}

export function createSimAccounts(deps: {
  iam: IamRegistry;
  /** The seller's context: its shared parts (clock, scheduler, faults...) serve every project. */
  base: SimContext;
  hosts: SimulatedHosts;
  sellerDomainId: string;
  images: () => SimContext['store']['catalog']['images'];
}): SimAccounts {
  const { iam, base } = deps;
  const contexts = new Map<string, { ctx: SimContext; app: Hono<SimEnv> }>();

  const openProject = (
    projectId: string,
    region: string,
    key: { ak: string; sk: string },
    quotas?: Partial<Quotas>,
  ) => {
    const catalog = { ...createCatalog(region), images: deps.images() };
    const store = createCloudStore(catalog, quotas);
    const ctx: SimContext = {
      ...base,
      store,
      hosts: createHostsBridge({
        hosts: deps.hosts,
        store,
        latency: base.latency,
        faults: base.faults,
        clock: base.clock,
        logger: base.logger,
      }),
      credentials: { ...key, projectId },
    };
    // No /sim/ routes: the seller's app serves the control API for the whole simulator.
    const app = createCloudSimulatorApp(ctx);
    contexts.set(projectId, { ctx, app });
  };

  const view = (domainId: string): AccountView => {
    const d = iam.domains.get(domainId)!;
    return {
      domainId,
      name: d.name,
      projects: [...iam.projects.values()]
        .filter((p) => p.domainId === domainId)
        .map((p) => ({ region: p.name, id: p.id })),
    };
  };

  return {
    appFor: (projectId) => contexts.get(projectId)?.app,
    create(input) {
      const regions = input.regions?.length ? input.regions : [base.store.catalog.region];
      const { domain, ak, sk } = iam.addDomain({ name: input.name, regions });
      for (const p of iam.projects.values())
        if (p.domainId === domain.id) openProject(p.id, p.name, { ak, sk }, input.quotas);
      return { ...view(domain.id), ak, sk };
    },
    list: () => [...iam.domains.keys()].map(view),
    addUser: (domainId, name, agentOperator) => iam.addUser(domainId, name, agentOperator),
    inspect(domainId, region, live) {
      const project = iam.projectOf(domainId, region);
      if (!project) return undefined;
      if (project.domainId === deps.sellerDomainId && project.id === base.credentials.projectId)
        return inventory(base, live);
      const entry = contexts.get(project.id);
      base.scheduler.advance();
      return entry ? inventory(entry.ctx, live) : undefined;
    },
    createAgency(domainId, input) {
      const agency = iam.createAgency({
        domainId,
        name: input.name,
        trustDomainName: input.trustDomainName,
        duration: input.duration,
      });
      const roleIds = (input.roles ?? []).map((display) => {
        const role = [...iam.roles.values()].find(
          (r) => r.displayName === display && r.domainId === undefined,
        );
        if (!role) throw new TypeError(`no system role named ${display}`);
        return role.id;
      });
      if (input.actions?.length)
        roleIds.push(
          iam.createRole(domainId, {
            displayName: `${input.name}-policy`,
            type: 'XA',
            description: `custom policy of agency ${input.name}`,
            actions: input.actions,
          }).id,
        );
      const regions = input.regions?.length ? input.regions : iam.domains.get(domainId)!.regions;
      for (const region of regions) {
        const project = iam.projectOf(domainId, region);
        if (!project) throw new TypeError(`account ${domainId} has no project in ${region}`);
        for (const roleId of roleIds) iam.grant(agency.id, roleId, { projectId: project.id });
      }
      return agency;
    },
    deleteAgency(domainId, name) {
      const agency = [...iam.agencies.values()].find(
        (a) => a.domainId === domainId && a.name === name,
      );
      if (!agency) return false;
      iam.deleteAgency(agency.id);
      return true;
    },
    async reset() {
      for (const { ctx } of contexts.values()) {
        for (const server of ctx.store.servers.values()) ctx.hosts.destroy(server);
        await ctx.hosts.settled();
      }
      contexts.clear();
      iam.reset(new Set([deps.sellerDomainId]));
    },
  };
}
